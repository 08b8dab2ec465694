from processing import *

def greet(name):
    print('hello', name)

if __name__ == "__main__":
    freezeSupport()
    p = Process(target=greet, args=('world',))
    p.start()
    p.join()
    print('exit code', p.exitcode)
