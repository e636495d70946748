"""Drafting a reply: the port, the pipeline, and the drafters that need no server.

- `port`: `DraftRequest` -> `Drafter` -> `DraftReply`;
- `pipeline`: language, retrieval and triage, then the drafter (`draft_reply`);
- `language`: German or English, also for short and mixed texts;
- `triage`: what kind of message it is (question, complaint, praise, spam, ...);
- `reply_needed`: posts that need no reply (retweets, news, chatter, own posts, bait);
- `salutation`, `register`: how the customer is greeted and addressed (Du/Sie);
- `composition`, `concern`: the answer sentences for this customer, the complaint's topic;
- `offline`: replies from the templates in prompts/offline/ (`templates`);
- `fallback`: what a language-model drafter does while its server is down.
"""

from bot.drafting.fallback import LLM_UNAVAILABLE, OFFLINE_FALLBACK, OutageAwareDrafter
from bot.drafting.language import DetectedLanguage, detect_language
from bot.drafting.offline import OfflineDrafter
from bot.drafting.pipeline import DEFAULT_POLICY, DraftingContext, draft_reply, prepare_request
from bot.drafting.port import Drafter, DraftReply, DraftRequest
from bot.drafting.reply_needed import NoReply, reply_needed
from bot.drafting.triage import Label, Triage, triage

__all__ = [
    "DEFAULT_POLICY",
    "LLM_UNAVAILABLE",
    "OFFLINE_FALLBACK",
    "DetectedLanguage",
    "DraftReply",
    "DraftRequest",
    "Drafter",
    "DraftingContext",
    "Label",
    "NoReply",
    "OfflineDrafter",
    "OutageAwareDrafter",
    "Triage",
    "detect_language",
    "draft_reply",
    "prepare_request",
    "reply_needed",
    "triage",
]
