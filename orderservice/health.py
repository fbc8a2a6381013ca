from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET


@require_GET
def health(request):
    """Liveness: the process answers. It does not touch the database."""
    return JsonResponse({"status": "healthy", "timestamp": timezone.now().isoformat()})
