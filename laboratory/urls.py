"""Pages of the laboratory."""

app_name = "laboratory"
urlpatterns = []
