# Reads every *.env in the folder given with python-dotenv (Debian's python3-dotenv) and prints, as JSON,
# {file name: [[name, value or null], ...]} in python-dotenv's order: the oracle DotenvFileOracleTest compares with.
import json, logging, os, sys
logging.disable(logging.CRITICAL)
from dotenv import dotenv_values

folder = sys.argv[1]
result = {}
for name in sorted(os.listdir(folder)):
    result[name] = [[k, v] for k, v in dotenv_values(os.path.join(folder, name)).items()]
json.dump(result, sys.stdout)
