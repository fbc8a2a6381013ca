from django.db import models
from django.db.models.functions import Lower

from orderservice.domain.text import multi_line_text, one_line_text
from orderservice.models import TimestampedModel

DUPLICATE_EMAIL_MESSAGE = "Customer with this email already exists"
DELETE_REFUSED_MESSAGE = "Cannot delete customer with existing orders"
DUPLICATE_USER_MESSAGE = "Another customer is already linked to this user_id"


class CustomerManager(models.Manager):
    def get_by_natural_key(self, email):
        return self.get(email__iexact=email)


class Customer(TimestampedModel):
    """Someone who places orders; identified by an email address unique regardless of case, and linked to at most
    one user of the User Service (`user_id`)."""

    first_name = models.CharField(max_length=100, validators=[one_line_text])
    last_name = models.CharField(max_length=100, validators=[one_line_text])
    email = models.EmailField(max_length=255, validators=[one_line_text])
    phone = models.CharField(max_length=20, null=True, blank=True, validators=[one_line_text])
    address = models.CharField(max_length=500, null=True, blank=True, validators=[multi_line_text])
    # The User Service's subject (a token's `sub`) this customer is: a token without customer permissions
    # sees and changes only this customer and its orders. NULL for customers no user is linked to.
    user_id = models.CharField(
        max_length=255,
        null=True,
        blank=True,
        unique=True,
        validators=[one_line_text],
        error_messages={"unique": DUPLICATE_USER_MESSAGE},
    )

    objects = CustomerManager()

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        # One per ordering the list offers, with its tie-breaker: a keyset page (WHERE key > cursor ORDER BY key,
        # id LIMIT n) then reads n index entries, in either direction, however many customers there are.
        indexes = [
            models.Index(fields=["last_name", "first_name", "id"], name="customer_by_name"),
            models.Index(fields=["last_name", "id"], name="customer_by_last_name"),
            models.Index(fields=["first_name", "id"], name="customer_by_first_name"),
            models.Index(fields=["email", "id"], name="customer_by_email"),
            models.Index(fields=["created_at", "id"], name="customer_by_created_at"),
        ]
        constraints = [
            models.UniqueConstraint(
                Lower("email"), name="customer_email_unique_ci", violation_error_message=DUPLICATE_EMAIL_MESSAGE
            ),
        ]

    def __str__(self):
        return f"{self.first_name} {self.last_name} <{self.email}>"

    def natural_key(self):
        return (self.email,)
