from rest_framework import serializers

from .models import DUPLICATE_EMAIL_MESSAGE, Customer

# The .NET clients of the old service send camelCase names; both spellings are accepted.
FIELD_ALIASES = {"firstName": "first_name", "lastName": "last_name"}


class CustomerSerializer(serializers.ModelSerializer):
    """A customer as the API shows it, and what a POST, PUT or PATCH may send: it validates, customers.services
    writes."""

    class Meta:
        model = Customer
        fields = ["id", "first_name", "last_name", "email", "phone", "address", "user_id", "created_at", "updated_at"]
        # PUT replaces the customer: what it leaves out is cleared, as in the old service; but for `user_id`,
        # which the old service did not have: its clients must not unlink a customer by leaving it out.
        extra_kwargs = {"phone": {"default": None}, "address": {"default": None}}

    def to_internal_value(self, data):
        if hasattr(data, "items"):
            data = {
                FIELD_ALIASES[key] if key in FIELD_ALIASES and FIELD_ALIASES[key] not in data else key: value
                for key, value in data.items()
            }
        return super().to_internal_value(data)

    def validate_user_id(self, user_id):
        return user_id or None  # "" means no user: stored as NULL so it never collides with another customer's

    def validate_email(self, email):
        others = Customer.objects.exclude(pk=self.instance.pk) if self.instance else Customer.objects.all()
        if others.filter(email__iexact=email).exists():
            raise serializers.ValidationError(DUPLICATE_EMAIL_MESSAGE, code="unique")
        return email


class OwnCustomerSerializer(CustomerSerializer):
    """A customer's own record, as its own token writes it: `user_id` is read-only (the view sets it to the
    token's subject), so a customer can neither link itself to another user nor unlink itself."""

    class Meta(CustomerSerializer.Meta):
        read_only_fields = ["user_id"]
