from django.core.management.base import BaseCommand, CommandError

from engagehub_native.django import conf, get_leaderboard


class Command(BaseCommand):
    help = ("Write the leaderboard (as restored from snapshot_path) to PATH "
            "(default: snapshot_path), atomically.")

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", help="where to write (default: snapshot_path)")

    def handle(self, *args, path=None, **options):
        path = path or conf.settings()["snapshot_path"]
        if not path:
            raise CommandError("no PATH given and ENGAGEHUB_NATIVE['snapshot_path'] is not set")
        board = get_leaderboard()
        try:
            board.save(path)
        except OSError as exc:
            raise CommandError(f"cannot write {path}: {exc}") from None
        self.stdout.write(f"leaderboard snapshot: {len(board)} users written to {path}")
