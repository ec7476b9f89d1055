"""Posting the admin's own forms back from the test client."""

from __future__ import annotations

from django.forms import MultiWidget


def _widget_data(name, field, value):
    """The POST items a bound field's widget would send for ``value``."""
    widget = field.widget
    if isinstance(widget, MultiWidget):
        parts = widget.decompress(value)
        return {f"{name}_{i}": "" if v is None else v for i, v in enumerate(parts)}
    if isinstance(value, bool):
        return {name: "on"} if value else {}
    if isinstance(value, list | tuple):
        return {name: [getattr(v, "pk", v) for v in value]}
    return {name: "" if value is None else getattr(value, "pk", value)}


def _form_items(form):
    data = {}
    for name, field in form.fields.items():
        data.update(_widget_data(form.add_prefix(name), field, form[name].value()))
    return data


def admin_form_data(page, **changes):
    """What the admin change page posts back unchanged, with ``changes`` applied."""
    data = _form_items(page.context["adminform"].form)
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update(_form_items(formset.management_form))
        for form in formset.forms:
            data.update(_form_items(form))
    data.update(changes)
    return data
