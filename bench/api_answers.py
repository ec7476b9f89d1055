"""Record the API's answers to a few hundred reads, to compare two code bases.

    DATABASE_URL=postgres://cbm:cbm@127.0.0.1:5432/cbm_bench \\
        .venv/bin/python bench/api_answers.py --out /tmp/answers-new.json
    (the same from the other checkout, --out /tmp/answers-main.json)
    .venv/bin/python bench/api_answers.py --compare /tmp/answers-main.json \\
        /tmp/answers-new.json

A change meant to make the API faster must not change what it answers. This
serves, through Django's full stack (DEBUG off, the API read cache off), the
reads of needs, programmes and matches (lists, pages, records, nested match
lists with and without filters, 404s and 400s) as five people (anonymous, a
curator, a member state's focal point, a verified and an unverified
provider's staff), with no Accept-Language, in English and in French, and
writes every answer's status, headers (but ``Date``) and body to ``--out``.
The people and their tokens are made on the first run (``--keys`` keeps the
tokens for the next). Needs a database already loaded and matched, the same
for both runs; ``--compare`` prints the differences of two such files.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api_cpu import setup_django  # noqa: E402  # beside this script

LANGUAGES = ("", "en", "fr")


def compare(old: str, new: str) -> int:
    """Print the answers that differ; 1 if any."""
    a = json.loads(Path(old).read_text())
    b = json.loads(Path(new).read_text())
    differ = [key for key in a if a[key] != b.get(key)]
    missing = [key for key in b if key not in a]
    for key in differ[:20]:
        print(f"DIFFERS {key}")
        print(f"  old {str(a[key])[:400]}\n  new {str(b.get(key))[:400]}")
    statuses: dict[int, int] = {}
    for answer in a.values():
        statuses[answer["status"]] = statuses.get(answer["status"], 0) + 1
    print(
        f"{len(a)} answers (statuses {dict(sorted(statuses.items()))}): "
        f"{len(differ)} differ, {len(missing)} only in the second"
    )
    return 1 if differ or missing else 0


def people(keys_path: Path) -> dict[str, str]:
    """The token of each person, made on the first run."""
    if keys_path.exists():
        return json.loads(keys_path.read_text())
    from django.db.models import Count
    from django.utils import timezone
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from matchmaking.accounts.tokens import create_token
    from matchmaking.enums import MembershipRole
    from matchmaking.models import Membership
    from matchmaking.models import MemberState
    from matchmaking.models import Need
    from matchmaking.models import Programme
    from matchmaking.models import Provider
    from matchmaking.models import TokenScope
    from matchmaking.models import User

    # The state with the most needs, providers with the most matched programmes
    # (verified, and not), and the provider most confidential needs are shared with.
    state = MemberState.objects.annotate(n=Count("needs")).order_by("-n").first()
    shared = (
        Need.shared_with.through.objects.values("provider_id")
        .annotate(n=Count("need_id"))
        .order_by("-n")
        .first()
    )
    by_matches = Provider.objects.annotate(n=Count("programmes__matches"))
    verified = by_matches.filter(is_verified=True).order_by("-n", "pk").first()
    if verified is None:  # the synthetic data has none: verify the busiest
        verified = by_matches.order_by("-n", "pk").first()
        Provider.objects.filter(pk=verified.pk).update(
            is_verified=True, verified_at=timezone.now()
        )
    unverified = by_matches.filter(is_verified=False).order_by("-n", "pk").first()
    # Something each rule could leak: a draft need of the state, a draft
    # programme of the unverified provider, another state's confidential need
    # shared with the verified provider.
    Need.objects.filter(
        pk=Need.objects.filter(member_state=state).order_by("pk").values("pk")[:1]
    ).update(status="draft")
    Programme.objects.filter(
        pk=Programme.objects.filter(provider=unverified).order_by("pk").values("pk")[:1]
    ).update(status="draft")
    secret = (
        Need.objects.filter(visibility="confidential", matches__isnull=False)
        .exclude(member_state=state)
        .order_by("pk")
        .first()
    )
    if secret is not None:
        secret.shared_with.add(verified)
    orgs = {
        "curator": {},
        "state": {"member_state": state},
        "verified": {"provider": verified},
        "unverified": {"provider": unverified},
    }
    if shared is not None:
        orgs["shared"] = {"provider_id": shared["provider_id"]}
    keys = {}
    for name, org in orgs.items():
        user, _ = User.objects.get_or_create(
            username=f"answers-{name}",
            defaults={"is_curator": name == "curator", "language": "fr"},
        )
        if name == "curator":
            TOTPDevice.objects.get_or_create(user=user, name="bench", confirmed=True)
        if org:
            Membership.objects.get_or_create(
                user=user, role=MembershipRole.MANAGER, **org
            )
        _token, key = create_token(user=user, name="answers", scope=TokenScope.READ)
        keys[name] = key
    keys_path.write_text(json.dumps(keys))
    return keys


def paths() -> list[str]:
    """The reads: lists, pages, records, nested matches, 404s and 400s."""
    from matchmaking.models import Match
    from matchmaking.models import Need
    from matchmaking.models import Programme

    needs: list[str] = []
    for visibility in ("public", "registered", "confidential"):
        for status in ("draft", "open", "closed"):
            needs += (
                Need.objects.filter(
                    visibility=visibility, status=status, matches__isnull=False
                )
                .distinct()
                .order_by("ref")
                .values_list("ref", flat=True)[:3]
            )
    needs += Need.objects.filter(shared_with__isnull=False).values_list(
        "ref", flat=True
    )[:3]
    needs += (
        Need.objects.filter(member_state__memberships__user__username="answers-state")
        .order_by("-status", "ref")
        .values_list("ref", flat=True)[:4]
    )
    programmes = list(
        Programme.objects.filter(matches__isnull=False)
        .distinct()
        .order_by("ref")
        .values_list("ref", flat=True)[:6]
    )
    programmes += Programme.objects.filter(status="draft").values_list(
        "ref", flat=True
    )[:3]
    programmes += (
        Programme.objects.filter(
            provider__memberships__user__username__in=(
                "answers-verified",
                "answers-unverified",
            )
        )
        .order_by("-status", "ref")
        .values_list("ref", flat=True)[:6]
    )
    matches = list(Match.objects.order_by("id").values_list("id", flat=True)[:3])
    found = [
        "/api/v1/",
        "/api/v1/needs/",
        "/api/v1/needs/?page=3",
        "/api/v1/needs/?page_size=100&page=2",
        "/api/v1/needs/?status=open&visibility=confidential",
        "/api/v1/programmes/",
        "/api/v1/programmes/?page=2",
        "/api/v1/programmes/?page=19",
        "/api/v1/programmes/?page_size=7&page=3",
        "/api/v1/programmes/?include_ended=true&page=4",
        "/api/v1/programmes/?status=draft",
        "/api/v1/matches/",
        "/api/v1/matches/?page=2&status=suggested",
        "/api/v1/needs/NO-SUCH-NEED/",
        "/api/v1/needs/NO-SUCH-NEED/matches/",
        "/api/v1/programmes/?page=0",
        "/api/v1/programmes/?page=abc",
        "/api/v1/programmes/?page=99999",
        "/api/v1/programmes/?page_size=1000",
        "/api/v1/programmes/?unknown=1",
    ]
    for ref in dict.fromkeys(needs):
        found += [
            f"/api/v1/needs/{ref}/",
            f"/api/v1/needs/{ref}/matches/",
            f"/api/v1/needs/{ref}/matches/?page_size=3&page=2",
            f"/api/v1/needs/{ref}/matches/?status=suggested&min_score=0.1",
        ]
    for ref in dict.fromkeys(programmes):
        found += [
            f"/api/v1/programmes/{ref}/",
            f"/api/v1/programmes/{ref}/matches/",
            f"/api/v1/programmes/{ref}/matches/?page=2",
            f"/api/v1/programmes/{ref}/matches/?page_size=4&page=2",
        ]
    found += [f"/api/v1/matches/{pk}/" for pk in matches]
    if needs:
        found += [
            f"/api/v1/needs/{needs[0]}/matches/?page=0",
            f"/api/v1/needs/{needs[0]}/matches/?page_size=abc",
            f"/api/v1/needs/{needs[0]}/matches/?status=nonsense",
        ]
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="write the answers here")
    parser.add_argument("--keys", default=str(ROOT.parent / "api_answers_keys.json"))
    parser.add_argument("--compare", nargs=2, metavar=("OLD", "NEW"))
    args = parser.parse_args()
    if args.compare:
        return compare(*args.compare)
    setup_django("ERROR")
    from django.test import Client

    keys = people(Path(args.keys))
    answers = {}
    reads = paths()
    for person in ("anonymous", *keys):
        headers = {}
        if person != "anonymous":
            headers["AUTHORIZATION"] = f"Token {keys[person]}"
        for language in LANGUAGES:
            client = Client(headers=headers)
            extra = {"HTTP_ACCEPT_LANGUAGE": language} if language else {}
            for path in reads:
                response = client.get(path, **extra)
                answers[f"{person} {language or '-'} {path}"] = {
                    "status": response.status_code,
                    "headers": sorted(
                        (k, v) for k, v in response.items() if k != "Date"
                    ),
                    "body": response.content.decode(),
                }
    Path(args.out).write_text(json.dumps(answers, indent=0, sort_keys=True))
    print(f"{len(answers)} answers ({len(reads)} reads) written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
