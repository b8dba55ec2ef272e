environment   = "prod"
web_instances = 3
