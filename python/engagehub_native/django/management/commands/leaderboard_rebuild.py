from django.core.management.base import BaseCommand, CommandError

from engagehub_native import Leaderboard
from engagehub_native.django import conf, sinks


class Command(BaseCommand):
    help = ("Rebuild the leaderboard from the stored events (points per event type from "
            "ENGAGEHUB_NATIVE['points']) and write it to PATH (default: snapshot_path). "
            "Run it with the site stopped: workers write their own board at exit.")

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", help="where to write (default: snapshot_path)")

    def handle(self, *args, path=None, **options):
        config = conf.settings()
        path = path or config["snapshot_path"]
        if not path:
            raise CommandError("no PATH given and ENGAGEHUB_NATIVE['snapshot_path'] is not set")
        model = sinks.model_for(config["sink"]) or sinks.model_for(conf.DEFAULTS["sink"])
        points = config["points"]
        rows = (model.objects.using(config["database"])
                .filter(type__in=list(points)).order_by()
                .values_list("type", "user_id", "timestamp").iterator(chunk_size=10_000))
        counted = 0
        with Leaderboard(decay_factor=config["decay_factor"],
                         max_users=config["max_users"]) as board:
            batch = []
            for event_type, user_id, stamp in rows:
                batch.append((user_id, points[event_type], int(stamp.timestamp())))
                if len(batch) == 10_000:
                    counted += board.update_many(batch)
                    batch.clear()
            counted += board.update_many(batch)
            try:
                board.save(path)
            except OSError as exc:
                raise CommandError(f"cannot write {path}: {exc}") from None
            self.stdout.write(f"leaderboard rebuilt from {counted} events of "
                              f"{model._meta.label}: {len(board)} users written to {path}")
