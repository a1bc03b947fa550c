// gui_start: W9, how soon the studio shows its window. Starts the real studio (`neurastudio
// --exit-after-first-paint [PROJECT]`) as a whole process, `runs` times, and reads from it the time from
// just before its start to the end of its main window's first paint; prints the median, the slowest
// run and the largest peak resident set (wait4's ru_maxrss; this launcher is small, so the child's
// figure is its own: see W7 in bench_engine.cpp). Each run starts as a new user would: settings in a
// scratch XDG_CONFIG_HOME (default layout, no recent files). Without a PROJECT the studio opens its
// default one (projects/spiral.neura, where found). QT_QPA_PLATFORM is offscreen unless set.
//   gui_start [--runs N] [--studio PATH] [PROJECT]
#include <spawn.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

namespace {

long long monotonic_ns() {
    timespec t{};
    clock_gettime(CLOCK_MONOTONIC, &t);
    return static_cast<long long>(t.tv_sec) * 1000000000LL + t.tv_nsec;
}

struct Run {
    double paint_ms = -1;  // -1: the studio failed or printed no first_paint line
    double exit_ms = 0;    // start to the process's end (the paint, then leaving)
    double peak_mib = 0;
};

// One start of the studio: args[0] with args, the environment `env` plus NEURA_START_MONOTONIC_NS; its
// standard output and error come back through a pipe (the latter shown only when it fails).
Run start_once(const std::vector<std::string>& args, const std::vector<std::string>& env) {
    int out[2];
    if (pipe(out) != 0) return {};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDERR_FILENO);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    posix_spawn_file_actions_addclose(&actions, out[1]);
    std::vector<char*> argv, envp;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    std::vector<std::string> vars = env;
    const long long t0 = monotonic_ns();
    vars.push_back("NEURA_START_MONOTONIC_NS=" + std::to_string(t0));
    for (auto& v : vars) envp.push_back(v.data());
    envp.push_back(nullptr);
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    close(out[1]);
    std::string text;
    char buf[4096];
    for (ssize_t n; rc == 0 && (n = read(out[0], buf, sizeof buf)) > 0;) text.append(buf, static_cast<std::size_t>(n));
    close(out[0]);
    if (rc != 0) return {};
    int status = 0;
    rusage usage{};
    Run r;
    if (wait4(pid, &status, 0, &usage) != pid) return r;
    r.exit_ms = static_cast<double>(monotonic_ns() - t0) / 1e6;
    r.peak_mib = static_cast<double>(usage.ru_maxrss) / 1024.0;
    const auto at = text.find("first_paint ");
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && at != std::string::npos)
        r.paint_ms = std::strtod(text.c_str() + at + std::strlen("first_paint "), nullptr);
    else
        std::fprintf(stderr, "gui_start: the studio exited with status %d and printed: %s\n", status, text.c_str());
    return r;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    int runs = 10;
    std::string studio = NEURA_STUDIO_PATH, project;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--runs") && i + 1 < argc) runs = std::max(1, std::atoi(argv[++i]));
        else if (!std::strcmp(argv[i], "--studio") && i + 1 < argc) studio = argv[++i];
        else project = argv[i];
    }
    char scratch[] = "/tmp/gui_start.XXXXXX";
    if (!mkdtemp(scratch)) {
        std::perror("gui_start: mkdtemp");
        return 1;
    }
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e)
        if (std::strncmp(*e, "XDG_CONFIG_HOME=", 16) != 0 && std::strncmp(*e, "NEURA_START_MONOTONIC_NS=", 25) != 0)
            env.emplace_back(*e);
    env.push_back(std::string("XDG_CONFIG_HOME=") + scratch);
    if (!std::getenv("QT_QPA_PLATFORM")) env.emplace_back("QT_QPA_PLATFORM=offscreen");
    std::vector<std::string> args = {studio, "--exit-after-first-paint"};
    if (!project.empty()) args.push_back(project);

    std::vector<double> paint, exit;
    double peak = 0;
    for (int i = 0; i < runs; ++i) {
        // A new user each time: the previous run's settings (recent files) go.
        std::filesystem::remove_all(scratch);
        std::filesystem::create_directory(scratch);
        const Run r = start_once(args, env);
        if (r.paint_ms < 0) return 1;
        paint.push_back(r.paint_ms);
        exit.push_back(r.exit_ms);
        peak = std::max(peak, r.peak_mib);
    }
    std::filesystem::remove_all(scratch);
    std::printf("# %s --exit-after-first-paint %s, %d runs; first paint %.1f-%.1f ms, exit %.1f ms (median)\n",
                studio.c_str(), project.empty() ? "(default project)" : project.c_str(), runs,
                *std::min_element(paint.begin(), paint.end()), *std::max_element(paint.begin(), paint.end()),
                median(exit));
    std::printf("W9_window_painted %.1f ms\n", median(paint));
    std::printf("W9_window_painted_max %.1f ms\n", *std::max_element(paint.begin(), paint.end()));
    std::printf("W9_studio_start_peak_rss %.1f MiB\n", peak);
    return 0;
}
