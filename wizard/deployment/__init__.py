"""The deployment directory: what a run would write, the plan against the disk, and writing it safely.

``render`` gathers every file from the answers into a ``plan``; ``proposal`` is what a run
proposes (the plan, its diff and notes); ``apply`` writes it under the lock with backups, a
journal and rollback; ``upgrade`` and ``rerun_upgrade`` re-write it for a newer release;
``draft_file`` keeps the answers as typed beside the directory until they are written.
"""
