"""Schema post-processing: what every operation of the served schema carries.

Generated clients (openapi-python-client, openapi-typescript) and their users
need, on every operation, a one-line ``summary``, a description of its own,
one body media type (JSON; multipart only where a file is uploaded) and every
status it may answer, in the one error shape.
"""

from __future__ import annotations

from collections import Counter

from matchmaking.api.base import ERROR_DESCRIPTIONS

_ERROR_REF = {"schema": {"$ref": "#/components/schemas/Error"}}
_FILE_TYPES = ("multipart/form-data",)


def _error(code: int) -> dict:
    return {
        "description": ERROR_DESCRIPTIONS[code],
        "content": {"application/json": _ERROR_REF},
    }


def _has_binary(schema: dict, components: dict, seen: frozenset = frozenset()) -> bool:
    """Whether a request schema holds a file (``format: binary``)."""
    ref = schema.get("$ref")
    if ref:
        if ref in seen:
            return False
        name = ref.rsplit("/", 1)[-1]
        return _has_binary(components.get(name, {}), components, seen | {ref})
    if schema.get("format") == "binary":
        return True
    parts = list(schema.get("properties", {}).values())
    parts += [schema[key] for key in ("items",) if key in schema]
    for key in ("oneOf", "anyOf", "allOf"):
        parts += schema.get(key, [])
    return any(_has_binary(part, components, seen) for part in parts)


_VERBS = {
    "list": "List {}",
    "retrieve": "Read one of the {}",
    "create": "Add to {}",
    "partial_update": "Update one of the {}",
    "update": "Replace one of the {}",
    "destroy": "Delete one of the {}",
}


def _humanize(path: str, method: str, operation_id: str) -> str:
    """``needs_list`` -> "List needs"; an action: "Events: generate agenda"."""
    parts = [p for p in path.strip("/").split("/")[2:] if not p.startswith("{")]
    resource = " ".join(parts[:1]).replace("-", " ") or "API"
    action = " ".join(parts[1:]).replace("-", " ")
    if resource == "stats":
        resource = "statistics"
    if action:
        return f"{resource[:1].upper()}{resource[1:]}: {action}"
    for suffix, pattern in _VERBS.items():
        if operation_id.endswith("_" + suffix):
            return pattern.format(resource)
    return f"{method.upper()} {resource}"


def _first_sentence(text: str) -> str:
    line = text.strip().split("\n", 1)[0]
    sentence = line.split(". ", 1)[0].rstrip(".").strip()
    return sentence if len(sentence) <= 90 else ""


def _name_lists(method: str, operation: dict) -> None:
    """A nested page of items (``needs/{ref}/matches/``) is a ``_list``."""
    ok = operation["responses"].get("200", {}).get("content", {})
    ref = ok.get("application/json", {}).get("schema", {}).get("$ref", "")
    name = operation["operationId"]
    if method == "get" and "/Paginated" in ref and name.endswith("_retrieve"):
        operation["operationId"] = name.removesuffix("_retrieve") + "_list"


def finish_operations(result, generator, request, public):
    """Summaries, distinct descriptions, one body type, 413/415 on writes."""
    components = result.get("components", {}).get("schemas", {})
    operations = [
        (path, method, operation)
        for path, items in result.get("paths", {}).items()
        for method, operation in items.items()
        if isinstance(operation, dict) and "responses" in operation
    ]
    for _path, method, operation in operations:
        _name_lists(method, operation)
        body = operation.get("requestBody")
        if body:
            content = body.get("content", {})
            filed = {
                media
                for media in _FILE_TYPES
                if media in content
                and _has_binary(content[media]["schema"], components)
            }
            if filed:  # an upload: multipart only
                body["content"] = {media: content[media] for media in filed}
            elif "application/json" in content:
                body["content"] = {"application/json": content["application/json"]}
            responses = operation["responses"]
            for code in (413, 415):
                responses.setdefault(str(code), _error(code))
    summaries: Counter[str] = Counter()
    for path, method, operation in operations:
        summary = operation.get("summary") or _first_sentence(
            operation.get("description", "")
        )
        operation["summary"] = summary or _humanize(
            path, method, operation["operationId"]
        )
        summaries[operation["summary"]] += 1
    for path, method, operation in operations:
        if summaries[operation["summary"]] > 1:
            operation["summary"] = _humanize(path, method, operation["operationId"])
    again = Counter(op["summary"] for _p, _m, op in operations)
    for _path, method, operation in operations:
        if again[operation["summary"]] > 1:
            operation["summary"] += f" ({method.upper()})"
    descriptions = Counter(op.get("description", "") for _p, _m, op in operations)
    for path, method, operation in operations:
        text = operation.get("description", "")
        if not text or descriptions[text] > 1:
            where = f"`{method.upper()} {path}`"
            operation["description"] = f"{text}\n\n{where}" if text else where
    return result


# OpenAPI links: which later operations take a value from an answer (the
# stateful phase of Schemathesis follows them; clients and docs show them).
# (operationId, status) -> {parameter: answer field}, [operations it leads to]
_BY_REF = {"ref": "$response.body#/ref"}
_BY_ID = {"id": "$response.body#/id"}
_FIRST_BY_REF = {"ref": "$response.body#/results/0/ref"}
_FIRST_MATCH = {"id": "$response.body#/results/0/id"}
_NEED_OPS = [
    "needs_retrieve",
    "needs_update",
    "needs_partial_update",
    "needs_matches_list",
    "needs_near_misses_retrieve",
    "needs_status_create",
]
_PROGRAMME_OPS = [
    "programmes_retrieve",
    "programmes_update",
    "programmes_partial_update",
    "programmes_matches_list",
    "programmes_advice_retrieve",
    "programmes_status_create",
    "programme_funding_retrieve",
    "programme_funding_update",
]
_MATCH_OPS = [
    "matches_retrieve",
    "matches_contacts_retrieve",
    "matches_express_interest_create",
    "matches_agree_create",
    "matches_decline_create",
    "matches_introduce_create",
    "matches_start_delivery_create",
    "matches_complete_create",
]
_PROVIDER_OPS = ["providers_retrieve", "providers_update", "providers_partial_update"]
LINKS: dict[tuple[str, str], tuple[dict[str, str], list[str]]] = {
    ("needs_list", "200"): (_FIRST_BY_REF, _NEED_OPS),
    ("needs_create", "201"): (_BY_REF, _NEED_OPS),
    ("needs_update", "200"): (_BY_REF, _NEED_OPS),
    ("needs_partial_update", "200"): (_BY_REF, _NEED_OPS),
    ("needs_status_create", "200"): (_BY_REF, _NEED_OPS),
    ("needs_matches_list", "200"): (_FIRST_MATCH, _MATCH_OPS),
    ("programmes_list", "200"): (_FIRST_BY_REF, _PROGRAMME_OPS),
    ("programmes_create", "201"): (_BY_REF, _PROGRAMME_OPS),
    ("programmes_update", "200"): (_BY_REF, _PROGRAMME_OPS),
    ("programmes_partial_update", "200"): (_BY_REF, _PROGRAMME_OPS),
    ("programmes_status_create", "200"): (_BY_REF, _PROGRAMME_OPS),
    ("programmes_matches_list", "200"): (_FIRST_MATCH, _MATCH_OPS),
    ("matches_list", "200"): (_FIRST_MATCH, _MATCH_OPS),
    ("matches_create", "201"): (_BY_ID, _MATCH_OPS),
    ("matches_express_interest_create", "200"): (_BY_ID, _MATCH_OPS),
    ("matches_agree_create", "200"): (_BY_ID, _MATCH_OPS),
    ("matches_introduce_create", "200"): (_BY_ID, _MATCH_OPS),
    ("matches_start_delivery_create", "200"): (_BY_ID, _MATCH_OPS),
    ("tokens_create", "201"): (_BY_ID, ["tokens_retrieve", "tokens_destroy"]),
    ("saved_searches_create", "201"): (
        _BY_ID,
        ["saved_searches_retrieve", "saved_searches_destroy"],
    ),
    ("webhooks_create", "201"): (
        _BY_ID,
        [
            "webhooks_retrieve",
            "webhooks_update",
            "webhooks_partial_update",
            "webhooks_deliveries_list",
            "webhooks_test_create",
            "webhooks_destroy",
        ],
    ),
    ("webhooks_partial_update", "200"): (
        _BY_ID,
        ["webhooks_retrieve", "webhooks_deliveries_list", "webhooks_destroy"],
    ),
    ("providers_create", "201"): (_BY_REF, _PROVIDER_OPS),
    ("pitches_create", "201"): (
        _BY_ID,
        [
            "pitches_retrieve",
            "pitches_partial_update",
            "pitches_slides_retrieve",
            "pitches_submit_create",
            "pitches_withdraw_create",
        ],
    ),
    ("meetings_create", "201"): (
        _BY_ID,
        [
            "meetings_retrieve",
            "meetings_accept_create",
            "meetings_decline_create",
            "meetings_cancel_create",
        ],
    ),
}


def _link_name(operation_id: str) -> str:
    """``needs_partial_update`` -> ``NeedsPartialUpdate`` (a link's key)."""
    return "".join(part.capitalize() for part in operation_id.split("_"))


def add_links(result, generator, request, public):
    """OpenAPI links from each answer to the operations that take its ids."""
    by_id = {
        operation["operationId"]: operation
        for items in result.get("paths", {}).values()
        for operation in items.values()
        if isinstance(operation, dict) and "operationId" in operation
    }
    for (source, code), (parameters, targets) in LINKS.items():
        operation = by_id.get(source)
        if operation is None or code not in operation["responses"]:
            continue  # not in this (filtered) schema
        links = operation["responses"][code].setdefault("links", {})
        for target in targets:
            if target in by_id:
                links[_link_name(target)] = {
                    "operationId": target,
                    "parameters": dict(parameters),
                }
    return result
