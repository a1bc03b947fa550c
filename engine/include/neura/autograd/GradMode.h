#pragma once

namespace neura {

// Whether ops record autograd history on this thread (on by default).
struct GradMode {
    static bool is_enabled();
    static void set_enabled(bool on);
};

// Turns recording off for its scope, as torch::NoGradGuard does.
class NoGradGuard {
public:
    NoGradGuard() : prev_(GradMode::is_enabled()) { GradMode::set_enabled(false); }
    ~NoGradGuard() { GradMode::set_enabled(prev_); }
    NoGradGuard(const NoGradGuard&) = delete;
    NoGradGuard& operator=(const NoGradGuard&) = delete;

private:
    bool prev_;
};

class EnableGradGuard {
public:
    explicit EnableGradGuard(bool on) : prev_(GradMode::is_enabled()) { GradMode::set_enabled(on); }
    ~EnableGradGuard() { GradMode::set_enabled(prev_); }
    EnableGradGuard(const EnableGradGuard&) = delete;
    EnableGradGuard& operator=(const EnableGradGuard&) = delete;

private:
    bool prev_;
};

}  // namespace neura
