"""GET /event?type=&user=&channel= records one event (processor and points);
/leaderboard?user=&points= updates the board and returns its top 10."""

import os

from django.http import HttpResponse, JsonResponse

from engagehub_native.django import get_leaderboard, record


def event(request):
    p = request.GET
    ok = record(p.get("type", "message"), p["user"], p.get("channel", "general"))
    return JsonResponse({"accepted": ok, "pid": os.getpid()}, status=200 if ok else 503)


def leaderboard(request):
    p = request.GET
    board = get_leaderboard()
    if "user" in p:
        board.update(p["user"], float(p.get("points", "1")))
    return JsonResponse([u._asdict() for u in board.top(10)], safe=False)


def health(request):
    return HttpResponse(str(os.getpid()), content_type="text/plain")
