"""The deployment's certificate files, as the renderers of render/ know them: ``wizard.certificates``."""

from __future__ import annotations

from wizard.certificates import CertificatePair, certfiles, pairs

__all__ = ["CertificatePair", "certfiles", "pairs"]
