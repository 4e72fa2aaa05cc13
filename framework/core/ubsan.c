/* The runtime for GCC's undefined-behaviour sanitizer (-fsanitize=undefined),
 * used when a kernel is built with CHECKED=1. The compiler inserts a check
 * before each risky operation and calls one of these handlers when it fails;
 * each handler names the kind of undefined behaviour, the source file and
 * line, and stops the kernel like a panic, so the bug is reported where it
 * happens instead of corrupting something later.
 *
 * The data layouts are the ones GCC passes (shared with LLVM's runtime). */
#include <keel/kprintf.h>
#include <keel/panic.h>

struct source_location {
    const char *file;
    uint32_t line;
    uint32_t column;
};

struct type_descriptor {
    uint16_t kind;
    uint16_t info;
    char name[];
};

struct type_mismatch_data {
    struct source_location location;
    const struct type_descriptor *type;
    uint8_t log_alignment;
    uint8_t check_kind;
};

struct overflow_data {
    struct source_location location;
    const struct type_descriptor *type;
};

struct shift_data {
    struct source_location location;
    const struct type_descriptor *left_type;
    const struct type_descriptor *right_type;
};

struct out_of_bounds_data {
    struct source_location location;
    const struct type_descriptor *array_type;
    const struct type_descriptor *index_type;
};

struct location_only_data {
    struct source_location location;
};

struct invalid_value_data {
    struct source_location location;
    const struct type_descriptor *type;
};

KEEL_NORETURN static void report(const struct source_location *where, const char *fmt, ...)
    KEEL_PRINTF(2, 3);

KEEL_NORETURN static void report(const struct source_location *where, const char *fmt, ...)
{
    char what[160];
    va_list args;
    va_start(args, fmt);
    kvsnprintf(what, sizeof(what), fmt, args);
    va_end(args);
    panic_at(where->file, (int)where->line, "undefined behaviour: %s (column %u)", what,
             where->column);
}

static const char *const access_kinds[] = {
    "load of",
    "store to",
    "reference binding to",
    "member access within",
    "member call on",
    "constructor call on",
    "downcast of",
    "downcast of",
    "upcast of",
    "cast to virtual base of",
    "non-null binding to",
    "dynamic operation on",
};

/* Every handler is called only by compiler-generated code, under two names:
 * __ubsan_handle_X, and __ubsan_handle_X_abort for builds that never resume
 * after a report (-fno-sanitize-recover). Both stop the kernel. */
#define UBSAN_HANDLER(name, ...)                                                                   \
    void __ubsan_handle_##name(__VA_ARGS__);                                                       \
    void __ubsan_handle_##name##_abort(__VA_ARGS__)                                                \
        __attribute__((alias("__ubsan_handle_" #name)));                                           \
    void __ubsan_handle_##name(__VA_ARGS__)

UBSAN_HANDLER(type_mismatch_v1, struct type_mismatch_data *data, uintptr_t pointer)
{
    const char *access = data->check_kind < KEEL_ARRAY_SIZE(access_kinds)
                             ? access_kinds[data->check_kind]
                             : "use of";
    if (pointer == 0)
        report(&data->location, "%s a NULL pointer of type %s", access, data->type->name);
    uintptr_t alignment = (uintptr_t)1 << data->log_alignment;
    if (pointer & (alignment - 1))
        report(&data->location,
               "%s misaligned address %#lx for type %s, which needs %lu-byte alignment", access,
               pointer, data->type->name, alignment);
    report(&data->location, "%s address %#lx with too little space for an object of type %s",
           access, pointer, data->type->name);
}

UBSAN_HANDLER(add_overflow, struct overflow_data *data, uintptr_t a, uintptr_t b)
{
    (void)a, (void)b;
    report(&data->location, "addition overflows type %s", data->type->name);
}

UBSAN_HANDLER(sub_overflow, struct overflow_data *data, uintptr_t a, uintptr_t b)
{
    (void)a, (void)b;
    report(&data->location, "subtraction overflows type %s", data->type->name);
}

UBSAN_HANDLER(mul_overflow, struct overflow_data *data, uintptr_t a, uintptr_t b)
{
    (void)a, (void)b;
    report(&data->location, "multiplication overflows type %s", data->type->name);
}

UBSAN_HANDLER(negate_overflow, struct overflow_data *data, uintptr_t a)
{
    (void)a;
    report(&data->location, "negation overflows type %s", data->type->name);
}

UBSAN_HANDLER(divrem_overflow, struct overflow_data *data, uintptr_t a, uintptr_t b)
{
    (void)a;
    if (b == 0)
        report(&data->location, "division by zero (type %s)", data->type->name);
    report(&data->location, "division overflows type %s", data->type->name);
}

UBSAN_HANDLER(shift_out_of_bounds, struct shift_data *data, uintptr_t a, uintptr_t b)
{
    report(&data->location, "shift of %#lx (type %s) by %lu bits (type %s) is out of range", a,
           data->left_type->name, b, data->right_type->name);
}

UBSAN_HANDLER(out_of_bounds, struct out_of_bounds_data *data, uintptr_t index)
{
    report(&data->location,
           "index %ld is out of bounds for type %s: indexing %s a table (is the index checked "
           "against the table's size?)",
           (long)index, data->array_type->name,
           (long)index < 0 ? "before the start of" : "past the end of");
}

UBSAN_HANDLER(pointer_overflow, struct location_only_data *data, uintptr_t base, uintptr_t result)
{
    report(&data->location, "pointer arithmetic on %#lx overflowed to %#lx", base, result);
}

UBSAN_HANDLER(load_invalid_value, struct invalid_value_data *data, uintptr_t value)
{
    report(&data->location, "load of value %#lx, which is not valid for type %s", value,
           data->type->name);
}

UBSAN_HANDLER(builtin_unreachable, struct location_only_data *data)
{
    report(&data->location, "execution reached __builtin_unreachable()");
}

UBSAN_HANDLER(missing_return, struct location_only_data *data)
{
    report(&data->location, "the end of a non-void function was reached without a return");
}

UBSAN_HANDLER(vla_bound_not_positive, struct invalid_value_data *data, uintptr_t bound)
{
    report(&data->location, "variable-length array bound %ld is not positive", (long)bound);
}

UBSAN_HANDLER(nonnull_arg, struct location_only_data *data)
{
    report(&data->location, "NULL passed as an argument declared never to be NULL");
}

UBSAN_HANDLER(nonnull_return_v1, struct location_only_data *data, struct source_location *where)
{
    (void)where;
    report(&data->location, "NULL returned from a function declared never to return NULL");
}

UBSAN_HANDLER(invalid_builtin, struct location_only_data *data)
{
    report(&data->location, "invalid argument to a builtin (such as __builtin_clz(0))");
}

UBSAN_HANDLER(alignment_assumption, struct location_only_data *data, uintptr_t pointer,
              uintptr_t alignment, uintptr_t offset)
{
    (void)offset;
    report(&data->location, "pointer %#lx is not aligned to %lu as assumed", pointer, alignment);
}
