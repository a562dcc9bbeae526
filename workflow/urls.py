from django.urls import path

from workflow import views

app_name = "workflow"

urlpatterns = [
    path("", views.TaskListView.as_view(), name="task_list"),
    path("new/", views.TaskCreateView.as_view(), name="task_create"),
    path("<uuid:pk>/", views.TaskDetailView.as_view(), name="task_detail"),
    path(
        "<uuid:pk>/<str:status>/",
        views.TaskTransitionView.as_view(),
        name="task_transition",
    ),
]
