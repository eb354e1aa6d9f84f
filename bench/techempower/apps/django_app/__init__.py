"""Django, as ``startproject`` lays it out: settings, URLs, ORM models, views and templates.

One settings module serves both ways of running it: gunicorn (WSGI,
``django_app.wsgi:application``) and uvicorn (ASGI, ``django_app.asgi:application``).
"""
