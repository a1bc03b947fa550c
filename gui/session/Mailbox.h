#pragma once
// Mailbox: functions put from any thread run on the thread of the QObject that owns the mailbox, in
// order. The hand-off is a queue under a std::mutex plus one plain event that wakes the owner, so a
// worker's data reaches the GUI thread through a lock that ThreadSanitizer sees (a queued signal's
// arguments cross inside libQt6Core, which it cannot see). A Mailbox is a small handle: copies share
// one queue, and a copy a worker keeps stays safe to use after the owner is gone (its puts are dropped).
#include <QObject>
#include <functional>
#include <memory>

namespace neura::gui {

class Mailbox {
public:
    // Delivers on `owner`'s thread, through a child object of `owner`; nothing is delivered once
    // `owner` is destroyed or close() was called.
    explicit Mailbox(QObject* owner);

    // Any thread: queues `fn`; dropped when the mailbox is closed.
    void put(std::function<void()> fn) const;
    // The owner's thread: drops what is queued and everything put from now on.
    void close() const;
    // The owner's thread: runs what is queued now, without waiting for the event loop.
    void deliverNow() const;

    struct State;

private:
    std::shared_ptr<State> state_;
};

}  // namespace neura::gui
