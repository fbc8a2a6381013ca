from rest_framework import serializers

from orderservice.api.serializers import UniqueFieldSaveMixin

from .models import DUPLICATE_EMAIL_MESSAGE, Customer

# The .NET clients of the old service send camelCase names; both spellings are accepted.
FIELD_ALIASES = {"firstName": "first_name", "lastName": "last_name"}


class CustomerSerializer(UniqueFieldSaveMixin, serializers.ModelSerializer):
    unique_field, unique_message = "email", DUPLICATE_EMAIL_MESSAGE

    class Meta:
        model = Customer
        fields = ["id", "first_name", "last_name", "email", "phone", "address", "created_at", "updated_at"]
        # PUT replaces the customer: what it leaves out is cleared, as in the old service.
        extra_kwargs = {"phone": {"default": None}, "address": {"default": None}}

    def to_internal_value(self, data):
        if hasattr(data, "items"):
            data = {FIELD_ALIASES[key] if key in FIELD_ALIASES and FIELD_ALIASES[key] not in data else key: value
                    for key, value in data.items()}
        return super().to_internal_value(data)

    def validate_email(self, email):
        others = Customer.objects.exclude(pk=self.instance.pk) if self.instance else Customer.objects.all()
        if others.filter(email__iexact=email).exists():
            raise serializers.ValidationError(DUPLICATE_EMAIL_MESSAGE, code="unique")
        return email
