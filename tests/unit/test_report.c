/* Unit tests of the update report's line (firmware/core/report.c, report_format): every
 * result's words (README "Status LEDs"), the versions, and the slot's padding and end. */
#define HARNESS_SUITE "test_report"
#include "harness.h"

#include "report.h"
#include "status.h"

#include <string.h>

static const struct report base = {
    .uid = {0x35003B00u, 0x0B513437u, 0x32383439u},
    .board_id = 0x0407D15Cu,
    .old_version = 0x01000000u,
    .new_version = 0x02000007u,
    .result = SB_OK,
    .ms = 1234,
};

/* The line without its padding and "\r\n"; also checks those. */
static const char *line_of(const struct report *rep)
{
    static uint8_t slot[REPORT_SLOT];
    static char text[REPORT_SLOT];
    memset(slot, 0xAA, sizeof slot);
    report_format(slot, rep);
    CHECK(slot[REPORT_SLOT - 2] == '\r' && slot[REPORT_SLOT - 1] == '\n');
    uint32_t end = REPORT_SLOT - 2;
    while (end && slot[end - 1] == ' ')
        end--;
    for (uint32_t i = end; i < REPORT_SLOT - 2; i++)
        CHECK(slot[i] == ' ');
    memcpy(text, slot, end);
    text[end] = 0;
    return text;
}

static void every_result_in_words(void)
{
    static const char *const words[] = {
        "installed",
        "error 1 no device",
        "error 2 USB error",
        "error 3 not mass storage",
        "error 4 medium error",
        "error 5 no FAT/exFAT volume",
        "error 6 no IMAGE.BIN",
        "error 7 file system corrupt",
        "error 8 too big",
        "error 9 image refused",
        "error 10 signature refused",
        "error 11 flash error",
        "error 12 stick data changed",
        "error 13 no crystal",
    };
    for (int r = 0; r < 14; r++) {
        struct report rep = base;
        char want[REPORT_SLOT];
        rep.result = r;
        snprintf(want, sizeof want,
                 "35003B00 0B513437 32383439 board 0407D15C 1.0.0 -> 2.0.7 %s 1234 ms", words[r]);
        const char *got = line_of(&rep);
        if (strcmp(got, want))
            printf("  result %d: \"%s\", expected \"%s\"\n", r, got, want);
        CHECK(!strcmp(got, want));
    }
}

static void unknown_result_and_up_to_date(void)
{
    struct report rep = base;
    rep.result = 14;
    CHECK(!strcmp(line_of(&rep), "35003B00 0B513437 32383439 board 0407D15C 1.0.0 -> 2.0.7 "
                                 "error 14 ? 1234 ms"));
    rep.result = 31;
    CHECK(strstr(line_of(&rep), " error 31 ? 1234 ms") != NULL);
    rep.result = SB_UP_TO_DATE;
    rep.new_version = rep.old_version;
    CHECK(!strcmp(line_of(&rep),
                  "35003B00 0B513437 32383439 board 0407D15C 1.0.0 up to date 1234 ms"));
}

static void unknown_versions_and_extremes(void)
{
    struct report rep = base;
    rep.old_version = REPORT_NONE;
    rep.new_version = REPORT_NONE;
    rep.result = SB_ERR_NO_FILE;
    rep.ms = 0;
    CHECK(!strcmp(line_of(&rep), "35003B00 0B513437 32383439 board 0407D15C - -> - error 6 no "
                                 "IMAGE.BIN 0 ms"));
    rep.new_version = 0xFFFFFFFEu; /* 255.255.65534 */
    rep.ms = 0xFFFFFFFFu;
    rep.result = SB_ERR_CHANGED;
    CHECK(!strcmp(line_of(&rep), "35003B00 0B513437 32383439 board 0407D15C - -> 255.255.65534 "
                                 "error 12 stick data changed 4294967295 ms"));
}

int main(void)
{
    RUN_TEST(every_result_in_words);
    RUN_TEST(unknown_result_and_up_to_date);
    RUN_TEST(unknown_versions_and_extremes);
    return HARNESS_EXIT();
}
