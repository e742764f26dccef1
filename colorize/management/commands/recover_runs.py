"""manage.py recover_runs [--queued-older-than SECONDS]: re-enqueue runs that would otherwise wait forever
(queued runs whose message may be lost, running runs whose worker died). Safe to run any time."""

from datetime import timedelta

from django.core.management.base import BaseCommand

from colorize.services.runs.recovery import recover_runs


class Command(BaseCommand):
    help = "Re-enqueue queued runs and runs whose worker died (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--queued-older-than", type=float, default=0.0, help="seconds (0: every queued run)"
        )

    def handle(self, *args, **options):
        age = options["queued_older_than"]
        ids = recover_runs(timedelta(seconds=age) if age > 0 else None)
        self.stdout.write(f"re-enqueued {len(ids)} run(s)" + (f": {ids}" if ids else ""))
