from django import forms

from catalog.models import NAME_MAX_LENGTH, SKU_MAX_LENGTH


class ProductForm(forms.Form):
    """The create/edit form of the products page (shape only; rules live in
    the services)."""

    sku = forms.CharField(label="SKU", max_length=SKU_MAX_LENGTH, strip=True)
    name = forms.CharField(label="Name", max_length=NAME_MAX_LENGTH, required=False)
    description = forms.CharField(
        label="Description", required=False, strip=False, widget=forms.Textarea
    )
    active = forms.BooleanField(label="Active", required=False, initial=True)
