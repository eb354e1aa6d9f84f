from __future__ import annotations

import random

from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from .models import Fortune, World


def queries_count(request: HttpRequest) -> int:
    try:
        count = int(request.GET.get("queries", "1"))
    except ValueError:
        return 1
    return min(max(count, 1), 500)


def plaintext(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"Hello, World!", content_type="text/plain")


def json(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"message": "Hello, World!"})


def db(request: HttpRequest) -> HttpResponse:
    world = World.objects.get(id=random.randint(1, 10000))
    return JsonResponse(world.as_dict())


def queries(request: HttpRequest) -> HttpResponse:
    ids = random.sample(range(1, 10001), queries_count(request))
    worlds = [World.objects.get(id=id_).as_dict() for id_ in ids]
    return JsonResponse(worlds, safe=False)


def fortunes(request: HttpRequest) -> HttpResponse:
    rows = list(Fortune.objects.all())
    rows.append(Fortune(id=0, message="Additional fortune added at request time."))
    rows.sort(key=lambda fortune: fortune.message)
    return render(request, "fortunes.html", {"fortunes": rows})


def updates(request: HttpRequest) -> HttpResponse:
    ids = sorted(random.sample(range(1, 10001), queries_count(request)))
    with transaction.atomic():
        worlds = [World.objects.get(id=id_) for id_ in ids]
        for world in worlds:
            world.randomnumber = random.randint(1, 10000)
        World.objects.bulk_update(worlds, ["randomnumber"])
    return JsonResponse([world.as_dict() for world in worlds], safe=False)
