"""Who may decide on drafts: the SLACK_REVIEWERS users and the SLACK_REVIEWER_GROUP members.

Group membership is read with usergroups.users.list and cached briefly, so a burst of
clicks costs one call and a member removed from the group loses the right within a minute.
When Slack cannot be asked and nothing is cached, the answer is "unverified": nobody is
let through on a guess.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from enum import StrEnum

from aiohttp import ClientError
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.wording import review_wording

log = logging.getLogger(__name__)

GROUP_CACHE_SECONDS = 60.0


class Permission(StrEnum):
    """Whether a Slack user may approve, edit, reject, regenerate, escalate or retry."""

    REVIEWER = "reviewer"
    NOT_REVIEWER = "not_reviewer"
    NONE_CONFIGURED = "none_configured"  # neither SLACK_REVIEWERS nor a group is set
    UNVERIFIED = "unverified"  # the group could not be read and nothing is cached


def explain_refusal(permission: Permission) -> str:
    """The ephemeral text for someone who may not decide."""
    words = review_wording()
    refusals = {
        Permission.NOT_REVIEWER: words.refusal_not_reviewer,
        Permission.NONE_CONFIGURED: words.refusal_none_configured,
        Permission.UNVERIFIED: words.refusal_unverified,
    }
    return refusals.get(permission, "")


class ReviewerDirectory:
    """Answers "may this user decide?" from the configured users and group."""

    def __init__(
        self,
        client: AsyncWebClient,
        users: frozenset[str],
        group: str | None = None,
        cache_seconds: float = GROUP_CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Keep the configuration; nothing is fetched until the first check.

        Args:
            client: Slack client used for usergroups.users.list.
            users: Slack user ids that may always decide.
            group: A user group id (S…) whose members may decide.
            cache_seconds: How long the group's member list is trusted.
            clock: Monotonic seconds; injectable for tests.
        """
        self._client = client
        self._users = users
        self._group = group
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._members: frozenset[str] | None = None
        self._fetched_at = float("-inf")
        self._lock = asyncio.Lock()

    @property
    def group(self) -> str | None:
        """The reviewer user group id, if one is configured."""
        return self._group

    async def permission(self, user_id: str) -> Permission:
        """Tell whether `user_id` may decide on drafts."""
        if user_id in self._users:
            return Permission.REVIEWER
        if self._group is None:
            return Permission.NOT_REVIEWER if self._users else Permission.NONE_CONFIGURED
        members = await self._group_members(self._group)
        if members is None:
            return Permission.UNVERIFIED
        return Permission.REVIEWER if user_id in members else Permission.NOT_REVIEWER

    async def _group_members(self, group: str) -> frozenset[str] | None:
        async with self._lock:  # one lookup for a burst of clicks
            if self._clock() - self._fetched_at < self._cache_seconds:
                return self._members
            try:
                response = await self._client.usergroups_users_list(usergroup=group)
            except (SlackApiError, ClientError, TimeoutError) as exc:
                # A stale list is better than locking every reviewer out during an outage.
                log.warning("reviewer group %s unreadable (%s)", group, type(exc).__name__)
                return self._members
            users = response.get("users") or []
            self._members = frozenset(str(user) for user in users)
            self._fetched_at = self._clock()
            return self._members
