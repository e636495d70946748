"""Second sign-off: press, legal threats, safety and crisis posts need a lead besides a reviewer.

A labelled draft is sent only when two different people approved the same text and one of
them is a lead. A holding statement a lead approved for a spike counts as that lead's
signature on every card that offers it unedited, so a reviewer's approval (or the lead's
batch approval) of such a card sends it. Each signature is its own row: two people
clicking at the same moment both sign, and whichever commits last sees both.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.crisis.policy import CRISIS_LABEL, CrisisPolicy
from bot.models import Draft, Enquiry
from bot.storage import UnitOfWork
from bot.storage.sign_offs import SignerRole, SignOff

# The flag of a draft that offers a spike's approved holding statement.
HOLDING_STATEMENT = "holding_statement"


@dataclass(frozen=True)
class SignOffState:
    """Who signed a labelled draft, and whether it may be sent now."""

    labels: tuple[str, ...]  # the labels that asked for a lead
    signers: tuple[SignOff, ...]
    statement_lead: str | None  # the lead whose approved statement this draft offers

    @property
    def needed(self) -> bool:
        """Whether the draft needs a second sign-off at all."""
        return bool(self.labels)

    def complete_for(self, text: str, unedited: bool) -> bool:
        """Whether `text` has a lead's and a second person's approval.

        The lead who approved a holding statement signed it for every card that offers it
        `unedited`; an edited statement needs a lead's signature of its own.
        """
        signed = {s.signed_by: s for s in self.signers if s.final_text == text}
        if self.statement_lead is not None and unedited and signed:
            return True
        leads = [s for s in signed.values() if s.role is SignerRole.LEAD]
        return bool(leads) and len(signed) >= 2

    def waiting_for(self) -> str:
        """Who still has to sign: `lead` or `second` (a second person, a lead signed)."""
        if any(s.role is SignerRole.LEAD for s in self.signers):
            return "second"
        return "lead"


async def sign_off_state(
    uow: UnitOfWork, policy: CrisisPolicy, draft: Draft, enquiry: Enquiry
) -> SignOffState:
    """Which of the draft's labels need a lead, who signed, and any statement signature."""
    labels = set(draft.flags)
    topics = await uow.topics.topics_of(enquiry.id)
    if topics and await uow.spikes.open_for(topics):
        labels.add(CRISIS_LABEL)
    needed = tuple(policy.needs_lead(labels))
    if not needed:
        return SignOffState((), (), None)
    statement_lead = None
    if HOLDING_STATEMENT in draft.flags:
        spike = await uow.spikes.active_statement_for(topics)
        statement_lead = spike.statement_approved_by if spike is not None else None
    signers = tuple(await uow.sign_offs.for_draft(draft.id))
    return SignOffState(needed, signers, statement_lead)


async def sign(
    uow: UnitOfWork, policy: CrisisPolicy, draft: Draft, signer: str, text: str, at: dt.datetime
) -> None:
    """Record `signer`'s approval of `text` (a lead signs as lead)."""
    role = SignerRole.LEAD if policy.is_lead(signer) else SignerRole.REVIEWER
    await uow.sign_offs.sign(SignOff(draft.id, signer, role, text, at))
