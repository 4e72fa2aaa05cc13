"""make gradescope: the autograder zip Gradescope takes for a lab.

    python3 -m keelgrade.gradescope --lab LAB --handout LAB-handout.tar.gz
        [--platform pc|linux] [--sandbox on|off] --out dist/LAB-gradescope.zip

The zip holds Gradescope's setup.sh and run_autograder (grading/gradescope/),
config.env (the lab, the platform, whether student code runs sandboxed) and
the lab's handout, which setup.sh unpacks into the pristine tree every
submission is graded in (keelgrade/submission.py)."""
import argparse
import os
import sys
import zipfile

HERE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "gradescope")


def pack(lab, handout, out, platform="pc", sandbox="on"):
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    config = (f"# Written by make gradescope. KEEL_SANDBOX=off only if Gradescope's container\n"
              f"# cannot run bubblewrap (see README.md).\n"
              f"LAB={lab}\nPLATFORM={platform}\nKEEL_SANDBOX={sandbox}\n")
    with zipfile.ZipFile(out + ".tmp", "w", zipfile.ZIP_DEFLATED) as archive:
        for name in ("setup.sh", "run_autograder", "README.md"):
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o755 if name != "README.md" else 0o644) << 16
            with open(os.path.join(HERE, name), "rb") as f:
                archive.writestr(info, f.read(), zipfile.ZIP_DEFLATED)
        archive.writestr("config.env", config)
        archive.write(handout, f"{lab}-handout.tar.gz")
    os.replace(out + ".tmp", out)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="keelgrade.gradescope", description=__doc__.split("\n")[0])
    parser.add_argument("--lab", required=True)
    parser.add_argument("--handout", required=True)
    parser.add_argument("--platform", default="pc", choices=("pc", "linux"))
    parser.add_argument("--sandbox", default="on", choices=("on", "off"))
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    pack(args.lab, args.handout, args.out, args.platform, args.sandbox)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
