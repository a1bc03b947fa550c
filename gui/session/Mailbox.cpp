#include "session/Mailbox.h"

#include <QCoreApplication>
#include <QEvent>
#include <deque>
#include <mutex>

namespace neura::gui {

namespace {
const QEvent::Type kDrain = static_cast<QEvent::Type>(QEvent::registerEventType());
}

struct Mailbox::State {
    std::mutex mutex;
    std::deque<std::function<void()>> inbox;  // under mutex
    QObject* receiver = nullptr;              // null once closed or destroyed; under mutex

    void deliver() {
        std::deque<std::function<void()>> work;
        {
            std::lock_guard lock(mutex);
            work.swap(inbox);
        }
        for (auto& fn : work) fn();
    }
};

namespace {

// Lives on the owner's thread as its child; runs what was put, in order.
class Receiver : public QObject {
public:
    Receiver(QObject* owner, std::shared_ptr<Mailbox::State> state) : QObject(owner), state_(std::move(state)) {}
    ~Receiver() override {
        std::lock_guard lock(state_->mutex);
        if (state_->receiver == this) state_->receiver = nullptr;
        state_->inbox.clear();
    }

protected:
    bool event(QEvent* e) override {
        bool drain = false;
        {
            std::lock_guard lock(state_->mutex);  // the event was made under it, on the putting thread
            drain = e->type() == kDrain;
        }
        if (!drain) return QObject::event(e);
        const std::shared_ptr<Mailbox::State> keep = state_;  // what runs may delete this object
        keep->deliver();
        return true;
    }

private:
    std::shared_ptr<Mailbox::State> state_;
};

}  // namespace

Mailbox::Mailbox(QObject* owner) : state_(std::make_shared<State>()) {
    state_->receiver = new Receiver(owner, state_);
}

void Mailbox::put(std::function<void()> fn) const {
    // Posted under the lock: the receiver cannot be destroyed in between (its destructor takes it).
    std::lock_guard lock(state_->mutex);
    if (!state_->receiver) return;
    const bool first = state_->inbox.empty();
    state_->inbox.push_back(std::move(fn));
    if (first) QCoreApplication::postEvent(state_->receiver, new QEvent(kDrain));
}

void Mailbox::deliverNow() const { state_->deliver(); }

void Mailbox::close() const {
    std::deque<std::function<void()>> dropped;  // destroyed outside the lock
    std::lock_guard lock(state_->mutex);
    state_->receiver = nullptr;
    dropped.swap(state_->inbox);
}

}  // namespace neura::gui
