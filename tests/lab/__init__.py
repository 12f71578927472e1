"""The local OpenShift lab: API emulator, registries, token issuer and image seeder (test infrastructure only)."""
