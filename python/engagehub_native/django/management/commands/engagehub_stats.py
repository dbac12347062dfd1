from django.core.management.base import BaseCommand

from engagehub_native.django import conf, get_leaderboard, get_processor, sinks


class Command(BaseCommand):
    help = ("Print this process's processor statistics, the leaderboard's size (restored "
            "from snapshot_path when it exists) and the number of stored events.")

    def handle(self, *args, **options):
        config = conf.settings()
        stats = get_processor().stats()
        self.stdout.write("processor (this process):")
        for field, value in stats._asdict().items():
            self.stdout.write(f"  {field:<17} {value}")
        board = get_leaderboard()
        source = config["snapshot_path"] or "no snapshot_path"
        self.stdout.write(f"leaderboard: {len(board)} users ({source})")
        for user in board.top(5):
            self.stdout.write(f"  #{user.rank:<3} {user.user_id}  {user.score:.1f}")
        model = sinks.model_for(config["sink"])
        if model is not None:
            count = model.objects.using(config["database"]).count()
            self.stdout.write(f"stored events ({model._meta.label}): {count}")
