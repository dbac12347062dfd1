"""Views: GET (or POST) /event?type=&user=&channel= pushes one event;
/leaderboard?user=&points= updates the board and returns its top 10."""

import os

from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from .processing import board, processor


def _params(request):
    return request.POST if request.method == "POST" else request.GET


@csrf_exempt
def event(request):
    p = _params(request)
    ok = processor.push_event(p.get("type", "message"), p["user"], p.get("channel", "general"), 0)
    return JsonResponse({"accepted": ok, "pid": os.getpid()}, status=200 if ok else 503)


@csrf_exempt
def leaderboard(request):
    p = _params(request)
    if "user" in p:
        board.update_user(p["user"], float(p.get("points", "1")), 0)
    return JsonResponse(board.get_top_users(10), safe=False)


def health(request):
    return HttpResponse(str(os.getpid()), content_type="text/plain")
