"""Staff pages of the pharmacy app."""

app_name = "pharmacy"

urlpatterns = []
