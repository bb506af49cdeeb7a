"""The prompt bank: questions worth asking in a 1:1, by kind of relationship.

This module is data. Each kind has the same three shared categories (check-in,
growth, trust and feedback) plus its own ``focus``, the thing that kind of 1:1
is for (see "What each kind of 1:1 is for" in DESIGN.md). The agenda shows one
question per category and rotates through them meeting by meeting, so every
list needs at least two questions and no question may appear twice for a kind.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from cadence.daemon.core.model import Kind

CHECK_IN: Final = "check-in"
GROWTH: Final = "growth"
TRUST: Final = "trust and feedback"
FOCUS: Final = "focus"

# The order in which the categories appear in an agenda section.
CATEGORIES: Final[tuple[str, ...]] = (CHECK_IN, GROWTH, TRUST, FOCUS)

Bank = Mapping[str, tuple[str, ...]]

# A report's 1:1 is their meeting: how they are, what slows them down, where
# they want to grow, feedback both ways, and the context they are missing.
_REPORT: Final[Bank] = {
    CHECK_IN: (
        "How are you doing, really, at work and outside it, as much as you want to share?",
        "What took more of your energy than it should have since we last met?",
        "What was the best part of your work these past weeks?",
        "Is your workload sustainable right now? What would you drop if you could?",
        "What is on your mind that we have not talked about yet?",
        "How are things with the rest of the team?",
        "What is one thing that would make next week easier for you?",
    ),
    GROWTH: (
        "What have you learned recently that you would like to use more?",
        "What kind of work do you want more of, and what kind less of?",
        "Where would you like to be in a year, and what would help you get there?",
        "Which skill would make the biggest difference to you now, and how could I help?",
        "Is there a project, role or responsibility coming up that you would like to take on?",
        "Who would you like to learn from, on the team or outside it?",
        "What is something you would like to try even though you might not be good at it yet?",
    ),
    TRUST: (
        "What is one thing I could do differently that would help you most?",
        "Is there feedback you have been holding back, about me, the team or how we work?",
        "What did I do recently that helped you, and what did not?",
        "Is the feedback you get from me frequent enough, clear enough and useful?",
        "Do you feel you can disagree with me openly? When did that feel hard?",
        "Would you like more direct feedback from me on something specific? On what?",
        "Which decisions around here would you like to understand better?",
    ),
    FOCUS: (
        "What do you most want to get out of today's 1:1?",
        "What is frustrating you at the moment, and what have you tried so far?",
        "Is there context about the company, the team or a recent decision that you are missing?",
        "Are you waiting on a decision from me or anyone else to move forward?",
        "Where could you use my help, an introduction or some air cover?",
        "If it were up to you, what would you change about how the team works?",
        "What is slowing you down that I might be able to remove?",
    ),
}

# With one's own manager: align on expectations and how success is measured,
# ask for feedback and career advice, surface risks and team wins early.
_MANAGER: Final[Bank] = {
    CHECK_IN: (
        "How are things on your side? What is taking most of your attention?",
        "What is happening above us that my team should know about?",
        "What are you worried about right now that I might help with?",
        "How are you feeling about the team and the organisation these days?",
        "Are priorities, people or plans about to change in a way I should prepare for?",
        "What would make the next month a good one from where you sit?",
    ),
    GROWTH: (
        "What should I be learning now to be ready for the next step in my role?",
        "What stretch goal would you like to see me take on next quarter?",
        "Where do you see me at my most effective, and where am I holding myself back?",
        "What career advice would you give me for the next year or two?",
        "Who should I be building relationships with beyond my team?",
        "Which experiences shaped you most as a lead, and which would you recommend to me?",
    ),
    TRUST: (
        "What is one thing I could do better that you have not told me yet?",
        "How am I doing against what you expect of me? Anything that would surprise me?",
        "How do you want to hear bad news from me, and am I doing that?",
        "Is there something my team does that lands badly elsewhere?",
        "What feedback from me would be useful to you?",
        "Was there a recent moment when you would have handled something differently than I did?",
    ),
    FOCUS: (
        "Are we aligned on the top three priorities for my team this quarter?",
        "How will you judge whether my team and I are succeeding this half?",
        "These are the biggest risks I see: which worry you, and what am I missing?",
        "Here is a recent win from the team: who else should hear about it, and how?",
        "Is there anything I am working on that you would stop or put off?",
        "Where do you want to be consulted, and where should I decide and tell you afterwards?",
        "Which goals of mine are at risk, and what would you trade to protect them?",
    ),
}

# Between peers: share what works, coordinate across teams, ask for and offer
# help, and hold each other to the goals each of us set.
_PEER: Final[Bank] = {
    CHECK_IN: (
        "How are things on your team right now?",
        "What is keeping you busiest this month?",
        "What has gone better than you expected lately?",
        "What has been draining you, and is any of it something we share?",
        "Is anything big coming up on your side that I should know about?",
        "What is the most interesting problem you are working on?",
    ),
    GROWTH: (
        "What have you tried with your team recently that worked and that I could borrow?",
        "Which skill are you working on, and could I help you practise it?",
        "Which book, talk or idea has changed how you work lately?",
        "What mistake did you make recently that I could learn from?",
        "What is one thing you want to get better at this quarter?",
        "What are you doing differently this year than last year, and why?",
    ),
    TRUST: (
        "Honestly, how do our two teams come across to each other?",
        "Is there anything I did that made your work harder?",
        "What could I do to be a better partner to you?",
        "Where would a second opinion from me be welcome?",
        "Is there something we disagree on that we should talk through?",
        "What is something you would like me to tell you earlier than I do?",
    ),
    FOCUS: (
        "Where do our teams depend on each other in the next few weeks, and is anything at risk?",
        "What is one practice working well for you that I should know about?",
        "Where could you use help, and where could I use yours?",
        "How are you doing against the goals you shared last time? Should I hold you to one?",
        "Are our teams duplicating any effort that we could combine or drop?",
        "Which upcoming decision affects both our teams, and who should make it?",
    ),
}

# With a partner from another function: learn each other's roles and
# priorities, keep shared projects moving, and defuse conflicts while small.
_CROSS_FUNCTIONAL: Final[Bank] = {
    CHECK_IN: (
        "What does a typical week look like for your team right now?",
        "What are you most focused on this quarter?",
        "What has changed on your side since we last talked?",
        "What has been hard in your function recently?",
        "What are you hearing from your customers or stakeholders that we might not hear?",
        "What is going well for your team that deserves more attention?",
    ),
    GROWTH: (
        "What should someone in my role understand better about your function?",
        "What do people outside your function usually get wrong about how it works?",
        "Which practice from each other's teams could we learn from?",
        "Is there a skill from your discipline that you think I would benefit from?",
        "Could our teams help each other grow, through shadowing, pairing or a joint project?",
        "What does a great partner from my function look like to you?",
    ),
    TRUST: (
        "How is working with my team from your side: what works and what does not?",
        "When did we last let you down, and what would have helped?",
        "How do you want to be brought into decisions that affect your team?",
        "What would you want me to hear early, before it becomes a problem?",
        "What feedback can I pass on to my team, good or bad?",
        "Is there anything you feel you cannot say in our bigger meetings?",
    ),
    FOCUS: (
        "How do your priorities for this quarter line up with ours, and where do they clash?",
        "On our shared projects, who owns what, and is anything falling between us?",
        "Is there a tension between our teams that we should address before it grows?",
        "What do you need from us in the next month, and by when?",
        "Which handoffs between our teams are slow or error-prone?",
        "Where are our roles blurry, and how should we split the work?",
    ),
}

# With someone who reports to one of the owner's reports: hear what does not
# reach their manager, learn how the team works, talk about growth beyond the role.
_SKIP_LEVEL: Final[Bank] = {
    CHECK_IN: (
        "How are things going for you, in the team and in your work?",
        "What is the best part of working on this team right now?",
        "What is the most frustrating part of your work right now?",
        "What have you worked on recently that you are proud of?",
        "How does the team's workload feel: about right, too much, too little?",
        "What is something about your work that people outside the team rarely see?",
    ),
    GROWTH: (
        "Where would you like your career to go beyond your current role?",
        "Which opportunities in the wider organisation interest you?",
        "What would you like to learn that your current work does not give you?",
        "Is there anyone elsewhere in the organisation you would like to meet or learn from?",
        "If you could pick your next project, what would it be?",
        "What would you need to see to feel your growth here is on track?",
    ),
    TRUST: (
        "What is one thing I, or leadership in general, could do better?",
        "Is there anything you would like me to know but are unsure how to bring up?",
        "Which decisions made above your manager are unclear to you?",
        "Do you feel heard when you raise a concern? Where do you not?",
        "What do you think I misunderstand about your team?",
        "How can I make these conversations more useful for you?",
    ),
    FOCUS: (
        "What is happening on the team that you think does not reach your manager or me?",
        "If you could change one thing about how the team works, what would it be?",
        "How are decisions made on your team, and do you feel part of them?",
        "Who on the team deserves recognition they are not getting?",
        "What slows the team down that nobody seems to own?",
        "What do you need from leadership that you are not getting?",
    ),
}

PROMPTS: Final[Mapping[Kind, Bank]] = MappingProxyType(
    {
        Kind.REPORT: MappingProxyType(_REPORT),
        Kind.MANAGER: MappingProxyType(_MANAGER),
        Kind.PEER: MappingProxyType(_PEER),
        Kind.CROSS_FUNCTIONAL: MappingProxyType(_CROSS_FUNCTIONAL),
        Kind.SKIP_LEVEL: MappingProxyType(_SKIP_LEVEL),
    }
)
