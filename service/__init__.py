"""The one seam between the faces (``cli``, ``desktop``) and the core: every operation both faces
offer, opened through one opener. Submodules are imported on demand (``service.opener``,
``service.cases``...), so ``custos gui`` does not load every layer before its first window.
"""
