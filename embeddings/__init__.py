"""The retrieval core: corpus files -> documents -> passages -> index -> results.

Nothing here imports discord or anything from bot/.
"""
