// zkr native Groth16 prover — bounds-checked reader of iden3's binary container format
// (.zkey, .wtns): a 4-byte magic, a u32 version, a u32 section count, then sections
// (u32 id, u64 size, data). Every section is checked to lie inside the file and every read
// inside its section, so a truncated or corrupted file is an error, never a read past the end.
// GPL-3.0-or-later (see LICENSE in this directory).
#pragma once

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <stdexcept>
#include <string>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

class BinFile {
public:
    struct Section {
        const uint8_t *data;
        uint64_t size;
    };

    /** Maps `path` and checks its magic (`type`, e.g. "zkey"), version and section table. */
    BinFile(const std::string &path, const std::string &type, uint32_t minVersion, uint32_t maxVersion, const std::string &what)
        : what_(what) {
        int fd = open(path.c_str(), O_RDONLY);
        if (fd < 0) fail("cannot open " + path + ": " + strerror(errno));
        struct stat st;
        if (fstat(fd, &st) != 0) {
            close(fd);
            fail("cannot stat " + path + ": " + strerror(errno));
        }
        size_ = (uint64_t)st.st_size;
        if (size_ < 12) {
            close(fd);
            fail("truncated: " + std::to_string(size_) + " bytes, not even a header");
        }
        void *p = mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
        close(fd);
        if (p == MAP_FAILED) fail("cannot map " + path + ": " + strerror(errno));
        addr_ = (const uint8_t *)p;

        if (memcmp(addr_, type.data(), 4) != 0) fail("not a ." + type + " file (bad magic)");
        uint32_t version = u32(4);
        if (version < minVersion || version > maxVersion)
            fail("unsupported version " + std::to_string(version) + " (expected " + std::to_string(minVersion) + "…" + std::to_string(maxVersion) + ")");
        uint32_t n = u32(8);
        uint64_t pos = 12;
        for (uint32_t i = 0; i < n; i++) {
            if (size_ - pos < 12) fail("truncated: the header of section " + std::to_string(i + 1) + " of " + std::to_string(n) + " is past the end");
            uint32_t id = u32(pos);
            uint64_t sz = u64(pos + 4);
            pos += 12;
            if (sz > size_ - pos)
                fail("truncated: section " + std::to_string(id) + " claims " + std::to_string(sz) + " bytes, " + std::to_string(size_ - pos) + " remain");
            if (sections_.count(id)) fail("section " + std::to_string(id) + " appears twice");
            sections_[id] = Section{addr_ + pos, sz};
            pos += sz;
        }
        if (pos != size_) fail(std::to_string(size_ - pos) + " bytes after the last section");
    }

    ~BinFile() {
        if (addr_) munmap((void *)addr_, size_);
    }
    BinFile(const BinFile &) = delete;
    BinFile &operator=(const BinFile &) = delete;

    /** Section `id`, which must exist and (unless expected is UINT64_MAX) be `expected` bytes long. */
    Section section(uint32_t id, uint64_t expected = UINT64_MAX, const std::string &name = "") const {
        auto it = sections_.find(id);
        std::string label = "section " + std::to_string(id) + (name.empty() ? "" : " (" + name + ")");
        if (it == sections_.end()) fail(label + " is missing");
        if (expected != UINT64_MAX && it->second.size != expected)
            fail(label + " is " + std::to_string(it->second.size) + " bytes, expected " + std::to_string(expected));
        return it->second;
    }

    [[noreturn]] void fail(const std::string &why) const { throw std::runtime_error(what_ + ": " + why); }

    uint32_t u32(uint64_t off) const {
        uint32_t v;
        memcpy(&v, addr_ + off, 4);
        return v;
    }
    uint64_t u64(uint64_t off) const {
        uint64_t v;
        memcpy(&v, addr_ + off, 8);
        return v;
    }

private:
    std::string what_;
    const uint8_t *addr_ = nullptr;
    uint64_t size_ = 0;
    std::map<uint32_t, Section> sections_;
};

/** Sequential reader inside one section: every read is checked against the section's end. */
class SectionReader {
public:
    SectionReader(const BinFile &f, BinFile::Section s, const std::string &name) : f_(f), s_(s), name_(name) {}
    const uint8_t *take(uint64_t n) {
        if (n > s_.size - pos_) f_.fail(name_ + " section is too short");
        const uint8_t *p = s_.data + pos_;
        pos_ += n;
        return p;
    }
    uint32_t u32() {
        uint32_t v;
        memcpy(&v, take(4), 4);
        return v;
    }
    void end() {
        if (pos_ != s_.size) f_.fail(name_ + " section has " + std::to_string(s_.size - pos_) + " unexpected trailing bytes");
    }

private:
    const BinFile &f_;
    BinFile::Section s_;
    std::string name_;
    uint64_t pos_ = 0;
};
