from django.contrib.auth import views as auth_views
from django.urls import path

from frontend import views

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="frontend/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("collections/<int:pk>/", views.collection, name="collection"),
    path("collections/<int:pk>/audit/", views.audit_trail, name="collection-audit-page"),
    path("photos/<int:pk>/", views.workspace, name="workspace"),
    path("photos/<int:pk>/published/", views.published_photo, name="published-photo"),
    path("review/", views.review_queue, name="review-queue"),
    path("vocabularies/", views.vocabularies, name="vocabularies"),
    path("", views.home, name="home"),
]
