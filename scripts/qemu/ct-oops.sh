#!/bin/sh
# named so the oopsing task is recognisable (comm = ct-oops): the write reaches ct_oops_proc_write ->
# ct_oops_trigger -> ct_oops_write_null, a NULL pointer write (ct-oops/ct_oops.c; the module must be loaded)
echo oops > /proc/ct-oops
