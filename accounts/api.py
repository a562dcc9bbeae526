"""API v1 authentication: JWT login (with the same rate limits and MFA as the sign-in
page), refresh, logout, and the current user."""

import uuid

from allauth.account.adapter import get_adapter
from allauth.core import context as allauth_context
from allauth.core import ratelimit
from allauth.mfa.base.internal import flows as mfa_flows
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.views import TokenBlacklistView, TokenRefreshView

from accounts import lockout
from accounts.models import Specialty
from accounts.selectors import active_doctors
from accounts.tokens import RefreshSerializer, tokens_for
from ehr.core.api.permissions import IsSignedIn, RolePermission

MFA_CODE_WINDOW = 300  # seconds: allauth's `login_failed` rate for codes is 5 per 300 s


class LoginSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(trim_whitespace=False, style={"input_type": "password"})
    otp = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="Authenticator or recovery code; required when the account uses MFA.",
    )


TokenPair = inline_serializer(
    "TokenPair", {"access": serializers.CharField(), "refresh": serializers.CharField()}
)


class LoginView(APIView):
    """Exchange email and password (and a one-time code where MFA is on) for tokens.

    Wrong passwords count against the account as on the sign-in page (`accounts.lockout`);
    wrong one-time or recovery codes count against the same per-user limit as the page's
    code step (5 in 5 minutes). Either limit answers 429 with `Retry-After`."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(request=LoginSerializer, responses={200: TokenPair, 401: None, 429: None})
    def post(self, request):
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        email = data["email"].lower()
        django_request = request._request
        with allauth_context.request_context(django_request):
            if not ratelimit.consume(django_request, action="login"):
                return self._too_many(60)
            try:
                user = get_adapter(django_request).authenticate(
                    django_request, email=email, password=data["password"]
                )
            except ValidationError:  # the account (or this address for it) is locked
                return self._too_many(lockout.retry_after(django_request, email))
            if user is None or not user.is_active:
                return Response(
                    {"detail": "Wrong email or password.", "code": "invalid_credentials"},
                    status=status.HTTP_401_UNAUTHORIZED,
                )
            mfa_answer = self._check_mfa(user, data.get("otp", ""))
        if mfa_answer is not None:
            return mfa_answer
        return Response(tokens_for(user))

    def _check_mfa(self, user, code):
        authenticators = list(Authenticator.objects.filter(user=user))
        totp = [a for a in authenticators if a.type == Authenticator.Type.TOTP]
        if not totp:
            if user.requires_mfa:
                return Response(
                    {
                        "detail": "Your role requires two-factor authentication; set it up "
                        "at the sign-in page first.",
                        "code": "mfa_enrollment_required",
                    },
                    status=status.HTTP_403_FORBIDDEN,
                )
            return None
        code = code.strip().replace(" ", "")
        if code:
            # The limit the sign-in page's code step uses: each code tried counts, a
            # right one clears the count.
            try:
                clear_count = mfa_flows.check_rate_limit(user)
            except ValidationError:
                return self._too_many(MFA_CODE_WINDOW)
            if TOTP(totp[0]).validate_code(code) or any(
                RecoveryCodes(auth).validate_code(code)
                for auth in authenticators
                if auth.type == Authenticator.Type.RECOVERY_CODES
            ):
                clear_count()
                return None
        return Response(
            {
                "detail": "A valid one-time code (`otp`) is required for this account.",
                "code": "mfa_required",
            },
            status=status.HTTP_401_UNAUTHORIZED,
        )

    def _too_many(self, retry_after):
        return Response(
            {"detail": "Too many sign-in attempts. Try again later.", "code": "rate_limited"},
            status=status.HTTP_429_TOO_MANY_REQUESTS,
            headers={"Retry-After": str(max(1, int(retry_after)))},
        )


class RefreshView(TokenRefreshView):
    """Exchange a refresh token for a new access token (and a new refresh token). A token
    revoked by a password, two-factor or account change, or older than the 12-hour
    session limit, answers 401."""

    permission_classes = [AllowAny]
    serializer_class = RefreshSerializer


class LogoutView(TokenBlacklistView):
    """Revoke a refresh token (`{"refresh"}`)."""

    permission_classes = [AllowAny]


class MeSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    email = serializers.EmailField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    roles = serializers.SerializerMethodField()

    def get_roles(self, user) -> list[str]:
        return sorted(user.role_names)


class MeView(APIView):
    """The signed-in user and their roles."""

    permission_classes = [IsSignedIn]

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        return Response(MeSerializer(request.user).data)


# --- Doctors (for choosing an attending doctor, a referral, a booking) -----------------------


class DoctorSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.SerializerMethodField()
    email = serializers.EmailField()
    specialties = serializers.SerializerMethodField()

    def get_name(self, user) -> str:
        return f"Dr {user.get_full_name()}"

    def get_specialties(self, user) -> list[str]:
        profile = getattr(user, "doctor_profile", None)
        return [s.name for s in profile.specialties.all()] if profile else []


class DoctorListView(ListAPIView):
    """Active users with the Doctor role, by name, with their specialties
    (`?specialty=<code or id>`). `id` is the user id other endpoints take (e.g. the
    attending doctor of an admission)."""

    serializer_class = DoctorSerializer
    permission_classes = [RolePermission]
    required_permissions = {"GET": ["accounts.view_doctorprofile"]}

    def get_queryset(self):
        queryset = (
            active_doctors()
            .select_related("doctor_profile")
            .prefetch_related(
                Prefetch("doctor_profile__specialties", queryset=Specialty.objects.order_by("name"))
            )
            .order_by("last_name", "first_name", "pk")
        )
        specialty = self.request.query_params.get("specialty", "").strip()
        if specialty:
            try:
                key = {"doctor_profile__specialties__id": uuid.UUID(specialty)}
            except ValueError:
                key = {"doctor_profile__specialties__code": specialty}
            queryset = queryset.filter(**key)
        return queryset

    @extend_schema(
        parameters=[OpenApiParameter("specialty", str, description="Specialty code or id")]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


# Collected under /api/v1/ by ehr/api.py.
urlpatterns = [
    path("auth/login", LoginView.as_view(), name="auth_login"),
    path("auth/refresh", RefreshView.as_view(), name="auth_refresh"),
    path("auth/logout", LogoutView.as_view(), name="auth_logout"),
    path("auth/me", MeView.as_view(), name="auth_me"),
    path("doctors", DoctorListView.as_view(), name="doctor_list"),
]
