/*
 * Real libxl as the judge of a `cpuid=` setting: reads each xl.cfg file given
 * on the command line with libxlutil (xl's own config reader), hands the
 * setting to libxl the way xl does (a list: each string to the xend parser;
 * a string: "host" then each comma-separated item to the libxl parser), and
 * prints, one record per line:
 *
 *   file <path>
 *   form libxl|xend
 *   item <rc> <text>     rc 0 accepted, 1 unknown flag name, 2 illegal value
 *   policy <JSON>        libxl_cpuid_policy_list_gen_json: per-leaf masks
 *
 * or "error <message>" for a file xl would reject as a whole.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
/* libxl_json.h picks the yajl 2 API only when told the version header exists */
#define HAVE_YAJL_YAJL_VERSION_H 1
#include <yajl/yajl_gen.h>
#include <libxl.h>
#include <libxl_json.h>
#include <libxlutil.h>

static void print_policy(libxl_cpuid_policy_list *policy)
{
    const unsigned char *buf;
    size_t len;
    yajl_gen gen = yajl_gen_alloc(NULL);

    if (!gen || libxl_cpuid_policy_list_gen_json(gen, policy) != yajl_gen_status_ok ||
        yajl_gen_get_buf(gen, &buf, &len) != yajl_gen_status_ok) {
        printf("error could not generate the policy JSON\n");
    } else {
        printf("policy %.*s\n", (int)len, (const char *)buf);
    }
    if (gen)
        yajl_gen_free(gen);
}

static void judge_string(const char *value, libxl_cpuid_policy_list *policy)
{
    char *copy = strdup(value), *save = NULL;
    char *item = strtok_r(copy, ",", &save);

    printf("form libxl\n");
    if (!item || strcmp(item, "host") != 0) {
        printf("error the string does not start with \"host\"\n");
        free(copy);
        return;
    }
    while ((item = strtok_r(NULL, ",", &save)) != NULL)
        printf("item %d %s\n", libxl_cpuid_parse_config(policy, item), item);
    free(copy);
}

static void judge_list(XLU_ConfigList *list, libxl_cpuid_policy_list *policy)
{
    const char *item;

    printf("form xend\n");
    for (int i = 0; (item = xlu_cfg_get_listitem(list, i)) != NULL; i++)
        printf("item %d %s\n", libxl_cpuid_parse_config_xend(policy, item), item);
}

static void judge_file(const char *path)
{
    XLU_Config *cfg = xlu_cfg_init(stderr, path);
    XLU_ConfigList *list;
    const char *value;
    libxl_cpuid_policy_list policy = NULL;

    printf("file %s\n", path);
    if (!cfg || xlu_cfg_readfile(cfg, path)) {
        printf("error xl cannot read the file\n");
        if (cfg)
            xlu_cfg_destroy(cfg);
        return;
    }
    switch (xlu_cfg_get_list(cfg, "cpuid", &list, NULL, 1)) {
    case 0:
        judge_list(list, &policy);
        break;
    case EINVAL:
        if (xlu_cfg_get_string(cfg, "cpuid", &value, 1) == 0) {
            judge_string(value, &policy);
            break;
        }
        /* fall through */
    default:
        printf("error no cpuid= setting\n");
        xlu_cfg_destroy(cfg);
        return;
    }
    print_policy(&policy);
    libxl_cpuid_dispose(&policy);
    xlu_cfg_destroy(cfg);
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        judge_file(argv[i]);
    return 0;
}
