"""The learner's profile and progress store, the saved conversations, and the sidebar's conversations panel."""

from __future__ import annotations

from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from roadmap_rag.learn.progress import DEFAULT_PROFILE, ProgressStore, is_profile, learner_profile
from roadmap_rag.serve.conversations import Conversation, ConversationStore, Exchange, conversation_markdown
from roadmap_rag.serve.display import (
    escape_markdown,
)
from ui.resources import get_assistant


def progress_store() -> ProgressStore:
    """This learner's progress: the named profile, else the default one."""
    return ProgressStore(get_assistant().settings, current_profile())


def current_profile(quiet: bool = False) -> str:
    """The learner's profile: the named one, else the default one (or an older link's); a name that
    cannot be a profile is said in the sidebar (unless ``quiet``: said once a run is enough)."""
    profile = (st.session_state.get("profile") or "").strip()
    if profile and not is_profile(profile):
        if not quiet:
            st.sidebar.error("A profile name is 1-64 letters, digits, '-', '_' or '.'; the default profile is used.")
        profile = ""
    return profile or link_profile()


# -- saved conversations: per profile, shown again after a reload ----------------------------------------------
def conversation_store() -> ConversationStore:
    """This learner's saved conversations (the progress store's profile)."""
    return ConversationStore(get_assistant().settings, current_profile(quiet=True))


def messages_of(conversation: Conversation) -> list[dict[str, Any]]:
    """A saved conversation as the chat's messages."""
    messages: list[dict[str, Any]] = []
    for exchange in conversation.turns:
        messages.append({"role": "user", "question": exchange.question})
        reply: dict[str, Any] = {"role": "assistant", "question": exchange.question, "seconds": exchange.seconds}
        if exchange.answer is not None:
            messages.append({**reply, "answer": exchange.answer})
        elif exchange.next is not None:
            messages.append({**reply, "next": exchange.next})
    return messages


def show_conversation(conversation: Conversation) -> None:
    """Make ``conversation`` the chat's: its messages, its history for follow-ups; the previous one's
    per-answer widgets (ratings, comments) are forgotten, as they belong to other answers."""
    for key in [k for k in st.session_state if str(k).startswith(("feedback_", "comment_", "removed_"))]:
        del st.session_state[key]
    st.session_state.conversation = conversation
    st.session_state.messages = messages_of(conversation)
    st.session_state.history = list(conversation.history)
    st.session_state.confirm_delete = None


def sync_conversation() -> None:
    """On a session's first run (a reload), or when the profile changes: show the profile's last conversation,
    or start a new one."""
    store = conversation_store()
    if st.session_state.get("conversation") is not None and st.session_state.get("conversation_of") == store.profile:
        return
    st.session_state.conversation_of = store.profile
    try:
        latest = store.latest()
    except OSError:  # the folder cannot be read: the panel says so
        latest = None
    show_conversation(latest or Conversation.start())


def remember(exchange: Exchange) -> None:
    """Add an answered question to the current conversation and save it; a failure to save is a toast with the
    remedy, and the chat goes on."""
    conversation: Conversation = st.session_state.conversation
    conversation.add(exchange, st.session_state.history)
    try:
        conversation_store().save(conversation)
    except (OSError, TypeError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        st.toast(f"This conversation could not be saved ({reason}); is the data folder writable? The chat still works.")


def start_conversation() -> None:
    """ "New conversation": an empty chat, saved as a new conversation from its first question (a callback)."""
    show_conversation(Conversation.start())


def switch_conversation(conversation_id: str) -> None:
    """Show a saved conversation (a callback); one that cannot be read any more is a toast."""
    conversation = conversation_store().load(conversation_id)
    if conversation is None:
        st.toast("That conversation could not be read; it may have been deleted or damaged.")
        return
    show_conversation(conversation)


def rename_conversation(conversation_id: str) -> None:
    """Save the title typed for the current conversation (a callback)."""
    title = str(st.session_state.get(f"title_{conversation_id}") or "")
    try:
        renamed = conversation_store().rename(conversation_id, title)
    except OSError as exc:
        st.toast(f"The new title could not be saved ({exc.strerror}); is the data folder writable?")
        return
    if renamed is not None:
        st.session_state.conversation.title = renamed.title


def delete_conversation(conversation_id: str) -> None:
    """Delete a conversation once confirmed (a callback), then show the most recent one left, or a new one."""
    store = conversation_store()
    try:
        store.delete(conversation_id)
    except OSError as exc:
        st.toast(f"The conversation could not be deleted ({exc.strerror}); is the data folder writable?")
        return
    if st.session_state.conversation.id == conversation_id:
        try:
            latest = store.latest()
        except OSError:
            latest = None
        show_conversation(latest or Conversation.start())
    st.session_state.confirm_delete = None


def ask_to_delete(conversation_id: str | None) -> None:
    """Show (an id) or hide (None) the delete confirmation (a callback)."""
    st.session_state.confirm_delete = conversation_id


def conversations_panel(where: DeltaGenerator) -> None:
    """The sidebar's conversations, filled after the chat so that it lists a question just asked: "New
    conversation", the profile's conversations newest first, and for the current one: rename, delete (with a
    confirmation), export as Markdown."""
    where.button("New conversation", type="primary", on_click=start_conversation)
    store = conversation_store()
    try:
        listing = store.listing()
    except OSError as exc:
        where.warning(f"Saved conversations cannot be read ({exc.strerror}); is the data folder readable?")
        return
    current: Conversation = st.session_state.conversation
    for conversation in listing.conversations:
        where.button(
            escape_markdown(conversation.title),
            key=f"conversation_{conversation.id}",
            on_click=switch_conversation,
            args=(conversation.id,),
            disabled=conversation.id == current.id,
            width="stretch",
        )
    if listing.unreadable:
        where.caption(
            f"{len(listing.unreadable)} saved conversation file(s) could not be read and are skipped "
            f"({escape_markdown(', '.join(listing.unreadable))}); move them out of "
            f"{escape_markdown(str(store.folder))} to silence this note."
        )
    if current.turns:
        conversation_tools(where, current)


def conversation_tools(where: DeltaGenerator, current: Conversation) -> None:
    """Rename, delete (confirmed first) and export the current conversation."""
    where.download_button(
        "Export as Markdown",
        data=conversation_markdown(current),
        file_name=f"conversation-{current.id}.md",
        mime="text/markdown",
        key="export",
        on_click="ignore",
    )
    with where.expander("Rename or delete"):
        st.text_input(
            "Title", value=current.title, key=f"title_{current.id}", on_change=rename_conversation, args=(current.id,)
        )
        if st.session_state.get("confirm_delete") != current.id:
            st.button("Delete this conversation", key="delete", on_click=ask_to_delete, args=(current.id,))
            return
        st.warning("Delete this conversation? This cannot be undone.")
        yes, no = st.columns(2)
        yes.button("Yes, delete", key="delete_yes", on_click=delete_conversation, args=(current.id,))
        no.button("Cancel", key="delete_no", on_click=ask_to_delete, args=(None,))


def link_profile() -> str:
    """The profile this page's link names (?learner=<id>, kept by older versions in the link), else the default
    profile, the one `roadmap-rag progress` uses: progress and conversations follow the profile, not the link."""
    learner = st.query_params.get("learner")
    profile = learner_profile(learner) if learner is not None else None
    if profile is not None:
        return profile
    if learner is not None:
        st.sidebar.warning(
            "This page's link holds a learner id that cannot keep progress (it must be 1-56 letters, digits, "
            "'-', '_' or '.'), so the default profile is used: name a profile below to keep progress apart."
        )
    return DEFAULT_PROFILE
