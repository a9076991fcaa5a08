"""The back office's URLs."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic.base import RedirectView

from provisioning.web import views

pages = [
    path("", RedirectView.as_view(pattern_name="backoffice:monitor"), name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="backoffice/login.html"),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("monitor/", views.monitor, name="monitor"),
    path("monitor/stores/", views.terminals_fragment, name="monitor-stores"),
    path("feed/", views.feed, name="feed"),
    path("stores/<str:store_id>/staff/", views.staff_list, name="staff"),
    path("stores/<str:store_id>/staff/add/", views.add_clerk, name="add-clerk"),
    path("audit/", views.audit_log, name="audit"),
]

urlpatterns = [
    path("", include((pages, "backoffice"))),
    path("i18n/", include("django.conf.urls.i18n")),
]
