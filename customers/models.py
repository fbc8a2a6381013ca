from django.db import models
from django.db.models.functions import Lower

from orderservice.models import TimestampedModel

DUPLICATE_EMAIL_MESSAGE = "Customer with this email already exists"
DELETE_REFUSED_MESSAGE = "Cannot delete customer with existing orders"


class CustomerManager(models.Manager):
    def get_by_natural_key(self, email):
        return self.get(email__iexact=email)


class Customer(TimestampedModel):
    """Someone who places orders; identified by an email address unique regardless of case."""

    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    email = models.EmailField(max_length=255)
    phone = models.CharField(max_length=20, null=True, blank=True)
    address = models.CharField(max_length=500, null=True, blank=True)

    objects = CustomerManager()

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"), name="customer_email_unique_ci", violation_error_message=DUPLICATE_EMAIL_MESSAGE
            ),
        ]

    def __str__(self):
        return f"{self.first_name} {self.last_name} <{self.email}>"

    def natural_key(self):
        return (self.email,)
