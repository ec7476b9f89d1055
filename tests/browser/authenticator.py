"""The authenticator app of browser tests: curators and staff must use two-factor."""

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from matchmaking.accounts.policy import confirmed_device
from matchmaking.accounts.policy import requires_two_factor
from matchmaking.models import User


def authenticator_of(username: str):
    """The confirmed device of a user who must use two-factor (made if missing)."""
    user = User.objects.filter(username=username).first()
    if not requires_two_factor(user):
        return None
    return confirmed_device(user) or TOTPDevice.objects.create(
        user=user, name="test authenticator", confirmed=True
    )


def current_code(device) -> str:
    """The code the app shows now; a test may sign in twice within one step,
    so the device forgets the last code it accepted (a real app would wait)."""
    device.last_t = -1
    device.throttling_failure_count = 0
    device.save(update_fields=["last_t", "throttling_failure_count"])
    return f"{TOTP(device.bin_key, device.step, device.t0, device.digits).token():06d}"
