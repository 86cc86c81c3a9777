"""Registry client: reads manifests and image configs from Docker/OCI registries."""
from .auth import Credentials, CredentialSource, DockerConfigCredentials, anonymous
from .client import ImportedImage, Location, RegistryClient, locate
from .errors import (
                     ConnectionFailed,
                     DigestMismatch,
                     InsecureScheme,
                     NoMatchingPlatform,
                     NotFound,
                     RegistryError,
                     ResponseTooLarge,
                     ServerError,
                     Timeout,
                     TooManyRequests,
                     Unauthorized,
                     UnexpectedResponse,
                     UnsafeAddress,
                     UnsupportedManifest,
)
from .manifests import Platform
from .safety import AddressPolicy
from .transport import ClientSettings, RequestCounter

__all__ = [
    "AddressPolicy", "ClientSettings", "ConnectionFailed", "CredentialSource", "Credentials",
    "DigestMismatch", "DockerConfigCredentials", "ImportedImage", "InsecureScheme", "Location",
    "NoMatchingPlatform", "NotFound", "Platform", "RegistryClient", "RegistryError",
    "RequestCounter", "ResponseTooLarge", "ServerError", "Timeout", "TooManyRequests",
    "Unauthorized", "UnexpectedResponse", "UnsafeAddress", "UnsupportedManifest", "anonymous",
    "locate",
]
