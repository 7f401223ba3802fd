/* TEMPORARY until branch trust merges: an empty trust store. */
#include <stdlib.h>
#include "bex/passive_auth.h"
#include "bex/store.h"
int bex_store_trust_get(bex_store *st, const bex_trust_store **out, char *err, size_t errlen);
int bex_store_trust_get(bex_store *st, const bex_trust_store **out, char *err, size_t errlen) {
    (void)st;
    static bex_trust_store *ts;
    if (!ts && bex_trust_open(&ts, err, errlen) != BEX_OK) return BEX_ERR_NOMEM;
    *out = ts;
    return BEX_OK;
}
