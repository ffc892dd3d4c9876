"""Expand template.yaml with the SAM translator, as CloudFormation's
AWS::Serverless transform would, and write the plain CloudFormation template as
JSON, so that cfn-lint can check what would be deployed (make lint).

Usage: python infra/sam/translate.py template.yaml out.json
"""

import json
import logging
import sys

import boto3
from samtranslator.model.exceptions import InvalidDocumentException
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator
from samtranslator.yaml_helper import yaml_parse


def main(src, dst):
    # The translator logs its feature toggles; its errors are raised, and printed below.
    logging.getLogger("samtranslator").setLevel(logging.CRITICAL)
    with open(src, encoding="utf-8") as f:
        doc = yaml_parse(f.read())
    # sam build/package replace the local code path by an S3 location; do the same
    # with a placeholder, which is all the translator looks at.
    for r in doc.get("Resources", {}).values():
        if r.get("Type") == "AWS::Serverless::Function":
            r.setdefault("Properties", {})["CodeUri"] = "s3://artifacts/function.zip"
    doc.get("Globals", {}).get("Function", {}).pop("CodeUri", None)
    # The template names managed policies by ARN only: there is nothing to look up.
    session = boto3.session.Session(region_name="us-east-1")
    translator = Translator({}, Parser(), boto_session=session)
    try:
        out = translator.translate(doc, parameter_values={}, get_managed_policy_map=dict)
    except InvalidDocumentException as e:
        for c in e.causes:
            print(f"{src}: {c.message}", file=sys.stderr)
        return 1
    with open(dst, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
