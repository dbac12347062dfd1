from django.core.management.base import BaseCommand, CommandError

from engagehub_native import SnapshotError
from engagehub_native.django import conf, get_leaderboard


class Command(BaseCommand):
    help = ("Load the snapshot PATH (default: snapshot_path) into the leaderboard, checking "
            "it whole; with snapshot_path set, it becomes the snapshot the site restores "
            "on its next start.")

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", help="snapshot to load (default: snapshot_path)")

    def handle(self, *args, path=None, **options):
        target = conf.settings()["snapshot_path"]
        path = path or target
        if not path:
            raise CommandError("no PATH given and ENGAGEHUB_NATIVE['snapshot_path'] is not set")
        board = get_leaderboard()
        try:
            board.load(path)
        except (SnapshotError, OSError) as exc:
            raise CommandError(f"cannot restore {path}: {exc}") from None
        if target:
            board.save(target)
        where = f" and written to {target}" if target else ""
        self.stdout.write(f"leaderboard restored: {len(board)} users from {path}{where}")
