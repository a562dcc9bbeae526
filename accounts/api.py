"""API v1 authentication: JWT login (with the same rate limits and MFA as the sign-in
page), refresh, logout, and the current user."""

import uuid

from allauth.account.adapter import get_adapter
from allauth.core import context as allauth_context
from allauth.core import ratelimit
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.views import TokenBlacklistView, TokenRefreshView

from accounts import roles
from accounts.models import Specialty, User
from ehr.core.api.permissions import IsHospitalStaff, IsSignedIn


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
    """Exchange email and password (and a one-time code where MFA is on) for tokens."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(request=LoginSerializer, responses={200: TokenPair, 401: None, 429: None})
    def post(self, request):
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        django_request = request._request
        with allauth_context.request_context(django_request):
            if not ratelimit.consume(django_request, action="login"):
                return self._too_many()
            try:
                user = get_adapter(django_request).authenticate(
                    django_request, email=data["email"].lower(), password=data["password"]
                )
            except ValidationError:  # allauth's per-account failed-login limit
                return self._too_many()
        if user is None or not user.is_active:
            return Response(
                {"detail": "Wrong email or password.", "code": "invalid_credentials"},
                status=status.HTTP_401_UNAUTHORIZED,
            )
        mfa_answer = self._check_mfa(user, data.get("otp", ""))
        if mfa_answer is not None:
            return mfa_answer
        refresh = RefreshToken.for_user(user)
        return Response({"access": str(refresh.access_token), "refresh": str(refresh)})

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
            if TOTP(totp[0]).validate_code(code):
                return None
            for auth in authenticators:
                if auth.type == Authenticator.Type.RECOVERY_CODES and RecoveryCodes(
                    auth
                ).validate_code(code):
                    return None
        return Response(
            {
                "detail": "A valid one-time code (`otp`) is required for this account.",
                "code": "mfa_required",
            },
            status=status.HTTP_401_UNAUTHORIZED,
        )

    def _too_many(self):
        return Response(
            {"detail": "Too many sign-in attempts. Try again later.", "code": "rate_limited"},
            status=status.HTTP_429_TOO_MANY_REQUESTS,
        )


class RefreshView(TokenRefreshView):
    """Exchange a refresh token for a new access token (and a new refresh token)."""

    permission_classes = [AllowAny]


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


class CanListDoctors(IsHospitalStaff):
    """Staff whose role may see doctor profiles."""

    def has_permission(self, request, view):
        return super().has_permission(request, view) and request.user.has_perm(
            "accounts.view_doctorprofile"
        )


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
    permission_classes = [CanListDoctors]

    def get_queryset(self):
        queryset = (
            User.objects.filter(groups__name=roles.DOCTOR, is_active=True)
            .select_related("doctor_profile")
            .prefetch_related(
                Prefetch("doctor_profile__specialties", queryset=Specialty.objects.order_by("name"))
            )
            .order_by("last_name", "first_name", "pk")
            .distinct()
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
