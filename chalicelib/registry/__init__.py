"""Registry client: reads manifests and image configs from Docker/OCI registries, with
their authentication and the address policy that keeps imports off private networks."""
from .auth import Credentials, CredentialSource, DockerConfigCredentials, anonymous
from .client import ImportedImage, Location, RegistryClient, locate
from .errors import (
                     ConnectionFailed,
                     DigestMismatch,
                     InsecureScheme,
                     NoMatchingPlatform,
                     RegistryError,
                     RegistryNotFound,
                     RegistryRateLimited,
                     RegistryUnauthorized,
                     ResponseTooLarge,
                     ServerError,
                     Timeout,
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
    "NoMatchingPlatform", "Platform", "RegistryClient", "RegistryError", "RegistryNotFound",
    "RegistryRateLimited", "RegistryUnauthorized", "RequestCounter", "ResponseTooLarge",
    "ServerError", "Timeout", "UnexpectedResponse", "UnsafeAddress", "UnsupportedManifest",
    "anonymous", "locate",
]
