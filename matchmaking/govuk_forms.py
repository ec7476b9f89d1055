"""GOV.UK Frontend styling for Django forms: classes on the widgets, hints and errors
tied to their inputs for screen readers. Every HTML form of both apps uses it.
"""

from __future__ import annotations

from typing import Any

from django import forms

# The CSS class GOV.UK Frontend gives each kind of widget.
_WIDGET_CLASSES = {
    "textinput": "govuk-input",
    "emailinput": "govuk-input",
    "passwordinput": "govuk-input",
    "numberinput": "govuk-input govuk-input--width-5",
    "dateinput": "govuk-input govuk-input--width-10",
    "urlinput": "govuk-input",
    "textarea": "govuk-textarea",
    "select": "govuk-select",
    "selectmultiple": "govuk-select govuk-select--multiple",
}


class GovukFormMixin:
    """Give widgets GOV.UK classes and point them at their hint and error."""

    fields: dict[str, forms.Field]
    errors: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        for name, field in self.fields.items():
            widget_type = type(field.widget).__name__.lower()
            css = _WIDGET_CLASSES.get(widget_type)
            if css:
                field.widget.attrs["class"] = css
            if widget_type == "selectmultiple":
                field.widget.attrs.setdefault("size", "8")
            field.widget.attrs.setdefault("data-field", name)
            if field.help_text:
                field.widget.attrs["aria-describedby"] = f"id_{name}_helptext"

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        for name in self.errors:
            field = self.fields.get(name)
            if field is None:
                continue
            attrs = field.widget.attrs
            attrs["aria-invalid"] = "true"
            attrs["aria-describedby"] = " ".join(
                x
                for x in (
                    f"id_{name}_helptext" if field.help_text else "",
                    f"id_{name}_error",
                )
                if x
            )
            attrs["class"] = f"{attrs.get('class', '')} {_error_class(attrs)}".strip()


def _error_class(attrs: dict[str, Any]) -> str:
    css = attrs.get("class", "")
    for base in ("govuk-input", "govuk-textarea", "govuk-select"):
        if css.startswith(base):
            return f"{base}--error"
    return ""
