import re
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from orderservice.events.catalogue import catalogue_markdown

DOCS = Path(settings.BASE_DIR) / "docs" / "events.md"
SECTION = re.compile(r"(<!-- catalogue:start -->\n).*(<!-- catalogue:end -->)", re.DOTALL)


class Command(BaseCommand):
    help = (
        "Print the event catalogue (orderservice/events/catalogue.py) as Markdown; --write puts it in docs/events.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("--write", action="store_true", help="replace the catalogue section of docs/events.md")

    def handle(self, *args, write: bool, **options):
        if not write:
            self.stdout.write(catalogue_markdown())
            return
        text = DOCS.read_text()
        DOCS.write_text(SECTION.sub(lambda match: match.group(1) + catalogue_markdown() + match.group(2), text))
        self.stdout.write(f"Wrote the catalogue into {DOCS}.")
