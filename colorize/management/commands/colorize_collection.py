"""manage.py colorize_collection ID [--only-unrestored] [--hints verified|all] [--user NAME] [--no-wait]

Queues a colorization run for every photo of a collection (photos with a queued or running run are skipped)
and follows them with a progress bar until they are all finished. With Celery (REDIS_URL) the workers do the
work; in the embedded mode the runs execute in this process (JOB_WORKERS threads).
"""

import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from archive.models import Collection
from colorize.models import Run
from colorize.models.runs import FINAL_STATUSES
from colorize.services.runs.request import do_create_batch
from config import jobs
from config.api import ServiceError


class Command(BaseCommand):
    help = "Queue colorization runs for a whole collection and show their progress."

    def add_arguments(self, parser):
        parser.add_argument("collection_id", type=int)
        parser.add_argument("--only-unrestored", action="store_true", help="skip photos already restored")
        parser.add_argument("--hints", choices=["verified", "all"], default="verified")
        parser.add_argument("--user", help="who requests the runs (default: the collection's owner)")
        parser.add_argument("--no-wait", action="store_true", help="queue and return at once")
        parser.add_argument("--poll", type=float, default=0.5, help="seconds between progress checks")

    def handle(self, *args, **options):
        collection = Collection.objects.filter(pk=options["collection_id"]).first()
        if collection is None:
            raise CommandError(f"no collection {options['collection_id']}")
        user = collection.owner
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"no user {options['user']!r}")
        try:
            result = do_create_batch(
                user, collection, {"only_unrestored": options["only_unrestored"], "hints": options["hints"]}
            )
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        except Exception as exc:  # permission errors from check_role
            raise CommandError(str(exc)) from exc
        run_ids = result["runs"]
        self.stdout.write(
            f"batch {result['batch']}: {len(run_ids)} run(s) queued, "
            f"{len(result['skipped_photos'])} photo(s) skipped (already queued or running)"
        )
        if options["no_wait"] or not run_ids:
            return
        counts = self._follow(run_ids, options["poll"])
        jobs.wait_idle(timeout=60)
        self.stdout.write(", ".join(f"{n} {status}" for status, n in sorted(counts.items())))
        if counts.get("failed"):
            for run in Run.objects.filter(pk__in=run_ids, status="failed"):
                self.stderr.write(f"run {run.pk} (photo {run.photo_id}) failed: {run.error.splitlines()[0]}")

    def _follow(self, run_ids, poll) -> dict:
        finished = 0
        with tqdm(total=len(run_ids), unit="photo", desc="colorizing", dynamic_ncols=True) as bar:
            while True:
                statuses = dict(Run.objects.filter(pk__in=run_ids).values_list("pk", "status"))
                done = sum(1 for s in statuses.values() if s in FINAL_STATUSES)
                if done > finished:
                    bar.update(done - finished)
                    finished = done
                running = sum(1 for s in statuses.values() if s == "running")
                bar.set_postfix(running=running)
                if finished >= len(run_ids):
                    break
                time.sleep(poll)
        counts: dict = {}
        for status in statuses.values():
            counts[status] = counts.get(status, 0) + 1
        return counts
